// Watch mode on the running server: reloads the schema snapshot when the database schema changes
// (event triggers, or catalog polling when they cannot be installed), applies `--watch-sql` files,
// and tells GraphiQL about each reload over server-sent events. Nothing here runs without --watch.
import express, { type Request, type Response } from 'express';
import type { Pool } from 'pg';
import { signJwtToken } from '../auth/sign';
import type { Options } from '../cli/options';
import { introspect } from '../introspection/introspect';
import { startDdlWatcher, type DdlEvent } from '../watch/ddl-watcher';
import { diffSchemas, ddlLabels, formatReloadLine } from '../watch/describe';
import { installWatchFixtures } from '../watch/install';
import { watchSqlFiles, type SqlFileError } from '../watch/sql-files';
import { exportSchema, schemaOptions } from './server';
import { makeSnapshot, type LiveSchema } from './snapshot';

export interface WatchModeContext {
  options: Options;
  pool: Pool;
  live: LiveSchema;
  log: (line: string) => void;
}

export interface WatchMode {
  /** Mount before the GraphQL router: it serves `<graphqlRoute>/stream` and `/dev-token`. */
  router: express.Router;
  /** Run a reload now (as a DDL notification would); resolves when it has finished. */
  reload(events?: DdlEvent[]): Promise<void>;
  close(): Promise<void>;
}

const heartbeatMs = 15_000;
const retryMs = 2_000;

/** The GraphQL response header that points clients at the change stream. */
export function eventStreamHeaders(options: Options): Record<string, string> {
  return { 'X-GraphQL-Event-Stream': `${options.graphqlRoute.replace(/\/$/, '')}/stream` };
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
  const base = options.graphqlRoute.replace(/\/$/, '');
  const ownerConnection = options.ownerConnection ?? options.connection;
  if (!ownerConnection) throw new Error('watch mode needs a connection string');

  // --- server-sent events ---
  const clients = new Set<Response>();
  // Errors carry an empty id: GraphiQL drops change events whose generation it already has.
  const send = (event: string, id: number | undefined, data: unknown): void => {
    const frame = `event: ${event}\nid:${id === undefined ? '' : ` ${id}`}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(`: heartbeat ${Date.now()}\n\n`);
  }, heartbeatMs);
  heartbeat.unref();

  const router = express.Router();
  router.get(`${base}/stream`, (req: Request, res: Response) => {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold events back.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const generation = live.current().generation;
    res.write(`retry: ${retryMs}\n\n`);
    res.write(`event: open\nid: ${generation}\ndata: ${JSON.stringify({ generation })}\n\n`);
    clients.add(res);
    const drop = (): void => {
      clients.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
  });

  if (options.jwtSecret) {
    const secret = options.jwtSecret;
    router.post(`${base}/dev-token`, express.json({ limit: options.bodySizeLimit }), (req: Request, res: Response) => {
      const body = (req.body ?? {}) as { role?: unknown; claims?: unknown };
      const claims = body.claims ?? {};
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
        res.status(400).json({ error: { message: 'claims must be a JSON object' } });
        return;
      }
      if (body.role !== undefined && typeof body.role !== 'string') {
        res.status(400).json({ error: { message: 'role must be a string' } });
        return;
      }
      const attributes: Record<string, unknown> = { ...(claims as Record<string, unknown>) };
      if (body.role) attributes.role = body.role;
      try {
        res.json({ token: signJwtToken(attributes, { jwtSecret: secret }) });
      } catch (err) {
        res.status(400).json({ error: { message: (err as Error).message } });
      }
    });
  }

  // --- reloads ---
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  async function reloadNow(events: DdlEvent[]): Promise<void> {
    if (closed) return;
    const started = process.hrtime.bigint();
    const prev = live.current();
    const ddl = ddlLabels(events);
    try {
      const model = await introspect(pool, options.schemas);
      // Equal catalog answer, equal schema: e.g. DDL on objects the API does not expose.
      if (model.hash === prev.model.hash || closed) return;
      const next = makeSnapshot(model, schemaOptions(options), prev.generation + 1);
      live.swap(next);
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

  // Reloads never overlap, whoever asks for them.
  const reload = (events: DdlEvent[] = [{ type: 'manual' }]): Promise<void> => {
    const run = chain.then(() => reloadNow(events));
    chain = run.catch(() => undefined);
    return run;
  };

  // --- DDL watcher ---
  const installed = await installWatchFixtures(ownerConnection);
  if (!installed.ok) {
    log(
      `watch: cannot install the schema-change event triggers (${installed.reason}); ` +
        `polling the catalog every second instead. A superuser can install them once with:\n${installed.sql}`,
    );
  }
  const watcher = startDdlWatcher({
    connection: ownerConnection,
    schemas: options.schemas,
    mode: installed.ok ? 'listen' : 'poll',
    onChange: (events) => reload(events),
    log,
  });

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
  // Changes made before the watcher was listening (e.g. the first apply of the SQL files).
  void reload([{ type: 'manual' }]);

  return {
    router,
    reload,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      await Promise.all([watcher.stop(), sqlFiles?.close()]);
      await chain;
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
