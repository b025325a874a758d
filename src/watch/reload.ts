// The reload loop of watch mode: when the database schema changes (event triggers, or catalog
// polling when they cannot be installed) introspect, build, swap the live snapshot and announce
// it; also applies `--watch-sql` files. Reloads build from the options the live snapshot holds.
import type { Pool } from 'pg';
import { introspect } from '../introspection/introspect';
import { withIntrospectionCache } from '../introspection/cache';
import { keepsColumns, type Options } from '../options';
import type { NotifyHub } from '../realtime/notify-hub';
import { makeSnapshot, type LiveSchema, type Snapshot } from '../schema/snapshot';
import type { SchemaOptions } from '../schema/build';
import { startDdlWatcher, type DdlEvent } from './ddl-watcher';
import { diffSchemasInSlices, ddlLabels, formatReloadLine } from './describe';
import { exportSchema } from './export';
import { installWatchFixtures, writeWatchFixturesSql } from './install';
import { watchTagsFile } from './tags-file';
import { watchSqlFiles, type SqlFileError } from './sql-files';

/**
 * Introspects the database and builds a snapshot from it. `reloads`: reloads will follow (watch
 * mode), so the snapshot keeps what they reuse of its build; `columnKeys`: they may also take
 * the columns of unchanged tables from its model.
 */
export async function loadSnapshot(pool: Pool, options: SchemaOptions, generation: number, next = { reloads: false, columnKeys: false }): Promise<Snapshot> {
  return makeSnapshot(await introspect(pool, options.schemas, { ...options, columnKeys: next.columnKeys }), options, generation, undefined, next.reloads);
}

/** Tells whoever shows reloads (the GraphiQL change stream) about one; errors carry no id. */
export type Announce = (event: string, id: number | undefined, data: unknown) => void;

export interface WatchModeContext {
  options: Options;
  pool: Pool;
  live: LiveSchema;
  log: (line: string) => void;
  announce: Announce;
  /** The server's one LISTEN connection (in a cluster worker, the primary's, relayed). */
  hub: NotifyHub;
  /** Set in a --cluster-workers worker: what the primary's watch (see primary.ts) does for all. */
  primary?: { triggers: boolean };
}

/**
 * Installs the event triggers (once per database); without the right to, says how a superuser
 * can, and returns false: the caller polls the catalog instead.
 */
export async function installTriggers(options: Options, log: (line: string) => void): Promise<boolean> {
  const installed = await installWatchFixtures(options.ownerConnection ?? options.connection!);
  if (installed.ok) return true;
  // One line: the SQL itself (~110 lines) goes to a file the message names.
  let where: string;
  try {
    where = `a superuser can install them once with: psql -f ${writeWatchFixturesSql(options.dataDir)}`;
  } catch (e) {
    where = (e as Error).message;
  }
  log(`watch: cannot install the schema-change event triggers (${installed.reason}); polling the catalog every second instead; ${where}`);
  return false;
}

/** `--watch-sql`: applies the files on save; their errors go to the log and GraphiQL. */
export async function startSqlFiles(options: Options, log: (line: string) => void, send: Announce): Promise<{ close(): Promise<void> } | undefined> {
  if (options.watchSql.length === 0) return undefined;
  return watchSqlFiles({
    paths: options.watchSql,
    ownerConnection: options.ownerConnection ?? options.connection!,
    onApplied: () => undefined, // The resulting DDL arrives through the watcher.
    onError: (e: SqlFileError) => {
      const where = e.line !== undefined ? `${e.file}:${e.line}:${e.column ?? 1}` : e.file;
      log(`${where}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}`);
      send('change', undefined, {
        error: { message: e.message, file: e.file, line: e.line, column: e.column, position: e.position },
      });
    },
    log,
  });
}

export interface WatchMode {
  /** Run a reload now (as a DDL notification would); resolves when it has finished. */
  reload(events?: DdlEvent[]): Promise<void>;
  close(): Promise<void>;
}

export async function startWatchMode(ctx: WatchModeContext): Promise<WatchMode> {
  const { options, pool, live } = ctx;
  const log = (line: string): void => {
    try {
      ctx.log(line);
    } catch {
      // A failing logger must not stop reloads.
    }
  };
  const ownerConnection = options.ownerConnection ?? options.connection;
  if (!ownerConnection) throw new Error('watch mode needs a connection string');

  const send = ctx.announce;

  // --- reloads ---
  let closed = false;
  // Change summaries, in reload order. The next reload does not wait for them: describing a
  // change is for people, and on a large schema it takes tens of milliseconds.
  let summaries = Promise.resolve();

  async function summarize(prev: Snapshot, next: Snapshot, ddl: string[], ms: number): Promise<void> {
    try {
      // Requests sent while the build ran (clients retrying for the new field) go first: on a
      // 300-table schema, starting the comparison at once delayed their answers by ~10 ms.
      // GraphiQL hears of the change as much later (well within its 100 ms).
      await new Promise((resolve) => setTimeout(resolve, 10));
      const changes = await diffSchemasInSlices(prev.schema, next.schema);
      if (closed) return;
      log(formatReloadLine(changes, ddl, ms));
      send('change', next.generation, {
        generation: next.generation,
        changes: changes.map((c) => (c.breaking ? `${c.text} [breaking]` : c.text)),
        ddl: ddl.join('; '),
      });
      await exportSchema(next.schema, options).catch((err: Error) => log(`schema export failed: ${err.message}`));
    } catch (err) {
      log(`describing the schema reload failed (the new schema is served): ${(err as Error)?.message ?? String(err)}`);
    }
  }

  async function reloadNow(events: DdlEvent[]): Promise<void> {
    if (closed) return;
    const started = process.hrtime.bigint();
    const prev = live.current();
    const ddl = ddlLabels(events);
    try {
      // (v4 writes the cache again after each rebuild in watch mode: then no kept columns)
      const columnKeys = keepsColumns(options, true);
      const model = await withIntrospectionCache(pool, { writeCache: options.writeCache },
        (db) => introspect(db, prev.options.schemas, { ...prev.options, columnKeys, previous: prev.model }));
      // Equal catalog answer, equal schema: e.g. DDL on objects the API does not expose.
      if (model.hash === prev.model.hash || closed) return;
      const next = makeSnapshot(model, prev.options, prev.generation + 1, prev);
      // From here on the new schema is served; a failing listener does not undo that.
      for (const e of live.swap(next)) log(`after the schema reload: ${e.message}`);
      for (const w of next.warnings) log(w);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      summaries = summaries.then(() => summarize(prev, next, ddl, ms));
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      // After the summaries of earlier reloads, so people read what happened in order.
      summaries = summaries.then(() => {
        log(`schema reload failed, still serving the previous schema: ${message}`);
        send('change', undefined, { error: { message } });
      });
    }
  }

  // --- DDL watcher ---
  // In a --cluster-workers worker the primary has installed the triggers and applies the SQL
  // files; this process only follows the notifications (through the relayed hub).
  const triggers = ctx.primary ? ctx.primary.triggers : await installTriggers(options, log);
  // Every reload, notified or asked for, goes through the watcher's queue: they never overlap.
  const watcher = startDdlWatcher({
    source: triggers ? { mode: 'listen', hub: ctx.hub } : { mode: 'poll', pool },
    schemas: options.schemas,
    onChange: reloadNow,
    log,
  });
  // Resolves once the reload has been described too (its log line and announcement are out).
  const reload = (events: DdlEvent[] = [{ type: 'manual' }]): Promise<void> => watcher.push(events).then(() => summaries);

  // --- SQL files ---
  const sqlFiles = ctx.primary ? undefined : await startSqlFiles(options, log, send);
  // v4 reloads its tags file in watch mode; so do we (the file is read again on every reload).
  const tagsFile = options.tagsFile ? watchTagsFile(options.tagsFile, () => void reload([{ type: 'tags' }])) : undefined;
  // Changes made before the watcher was listening (e.g. the first apply of the SQL files).
  void reload([{ type: 'manual' }]);

  return {
    reload,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([watcher.stop(), sqlFiles?.close(), tagsFile?.close(), summaries]);
    },
  };
}
