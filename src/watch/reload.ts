// The reload loop of watch mode: when the database schema changes (event triggers, or catalog
// polling when they cannot be installed) introspect, build, swap the live snapshot and announce
// it; also applies `--watch-sql` files. Reloads build from the options the live snapshot holds.
import type { Pool } from 'pg';
import { introspect } from '../introspection/introspect';
import type { Options } from '../options';
import type { NotifyHub } from '../realtime/notify-hub';
import { makeSnapshot, type LiveSchema, type Snapshot } from '../schema/snapshot';
import type { SchemaOptions } from '../schema/build';
import { startDdlWatcher, type DdlEvent } from './ddl-watcher';
import { diffSchemas, ddlLabels, formatReloadLine } from './describe';
import { exportSchema } from './export';
import { installWatchFixtures, writeWatchFixturesSql } from './install';
import { watchTagsFile } from './tags-file';
import { watchSqlFiles, type SqlFileError } from './sql-files';

/** Introspects the database and builds a snapshot from it. */
export async function loadSnapshot(pool: Pool, options: SchemaOptions, generation: number): Promise<Snapshot> {
  return makeSnapshot(await introspect(pool, options.schemas, options.tagsFile), options, generation);
}

/** Tells whoever shows reloads (the GraphiQL change stream) about one; errors carry no id. */
export type Announce = (event: string, id: number | undefined, data: unknown) => void;

export interface WatchModeContext {
  options: Options;
  pool: Pool;
  live: LiveSchema;
  log: (line: string) => void;
  announce: Announce;
  /** The server's one LISTEN connection. */
  hub: NotifyHub;
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

  async function reloadNow(events: DdlEvent[]): Promise<void> {
    if (closed) return;
    const started = process.hrtime.bigint();
    const prev = live.current();
    const ddl = ddlLabels(events);
    try {
      const model = await introspect(pool, prev.options.schemas, prev.options.tagsFile);
      // Equal catalog answer, equal schema: e.g. DDL on objects the API does not expose.
      if (model.hash === prev.model.hash || closed) return;
      const next = makeSnapshot(model, prev.options, prev.generation + 1);
      // From here on the new schema is served; a failing listener does not undo that.
      for (const e of live.swap(next)) log(`after the schema reload: ${e.message}`);
      for (const w of model.warnings ?? []) log(`smart tags: ${w}`);
      // Describing the change is for people; it happens after new requests already see it.
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const changes = diffSchemas(prev.schema, next.schema);
      log(formatReloadLine(changes, ddl, ms));
      send('change', next.generation, {
        generation: next.generation,
        changes: changes.map((c) => (c.breaking ? `${c.text} [breaking]` : c.text)),
        ddl: ddl.join('; '),
      });
      await exportSchema(next.schema, options).catch((err: Error) => log(`schema export failed: ${err.message}`));
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      log(`schema reload failed, still serving the previous schema: ${message}`);
      send('change', undefined, { error: { message } });
    }
  }

  // --- DDL watcher ---
  const installed = await installWatchFixtures(ownerConnection);
  if (!installed.ok) {
    // One line: the SQL itself (~110 lines) goes to a file the message names.
    let where: string;
    try {
      where = `a superuser can install them once with: psql -f ${writeWatchFixturesSql(options.dataDir)}`;
    } catch (e) {
      where = (e as Error).message;
    }
    log(`watch: cannot install the schema-change event triggers (${installed.reason}); polling the catalog every second instead; ${where}`);
  }
  // Every reload, notified or asked for, goes through the watcher's queue: they never overlap.
  const watcher = startDdlWatcher({
    source: installed.ok ? { mode: 'listen', hub: ctx.hub } : { mode: 'poll', pool },
    schemas: options.schemas,
    onChange: reloadNow,
    log,
  });
  const reload = (events: DdlEvent[] = [{ type: 'manual' }]): Promise<void> => watcher.push(events);

  // --- SQL files ---
  let sqlFiles: { close(): Promise<void> } | undefined;
  if (options.watchSql.length > 0) {
    sqlFiles = await watchSqlFiles({
      paths: options.watchSql,
      ownerConnection,
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
  // v4 reloads its tags file in watch mode; so do we (the file is read again on every reload).
  const tagsFile = options.tagsFile ? watchTagsFile(options.tagsFile, () => void reload([{ type: 'tags' }])) : undefined;
  // Changes made before the watcher was listening (e.g. the first apply of the SQL files).
  void reload([{ type: 'manual' }]);

  return {
    reload,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([watcher.stop(), sqlFiles?.close(), tagsFile?.close()]);
    },
  };
}
