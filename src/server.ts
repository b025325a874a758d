// Assembles the running server: pool, first schema snapshot, express app (GraphQL, GraphiQL),
// schema exports, and watch mode when asked. `startServer` is what the CLI calls.
import http from 'node:http';
import express from 'express';
import { Pool, type PoolConfig } from 'pg';
import { createAuth } from './auth/auth';
import { guardPool } from './db/pool';
import { tracedClient, type StatementListener } from './db/trace';
import { choosePreparedStatements } from './db/prepared';
import { createDocumentCache } from './execute/documents';
import { httpRoutes } from './http/app';
import type { HttpHooks } from './http/routes';
import { attachSubscriptions } from './http/websocket';
import { limitsOf, resolveOptions, schemaOptions, type Options } from './options';
import { createNotifyHub, type NotifyHub } from './realtime/notify-hub';
import type { LiveQueries } from './realtime/live-queries';
import { createLiveSchema, type LiveSchema } from './schema/snapshot';
import { exportSchema } from './watch/export';
import { loadSnapshot, startWatchMode, type WatchMode } from './watch/reload';

export interface RunningServer {
  url: string;
  live: LiveSchema;
  pool: Pool;
  httpServer: http.Server;
  /** The express app; plain GraphQL POSTs are answered before it (see HttpRoutes.fastPost). */
  app: express.Express;
  /** The LISTEN connection of subscriptions, when they are on. */
  hub?: NotifyHub;
  /** Live queries (`--live`, `--watch`): their groups and run counter. */
  liveQueries?: LiveQueries;
  close(): Promise<void>;
}

export interface ServerDeps {
  /** Use this pool instead of opening one (it is left open on close: the caller owns it). */
  pool?: Pool;
  /** Told the text of every statement the server's own pool sends (e.g. to record the SQL). */
  onStatement?: StatementListener;
}

export async function createServer(given: Options, hooks: HttpHooks = {}, deps: ServerDeps = {}): Promise<RunningServer> {
  const options = resolveOptions(given);
  if (!options.connection) throw new Error('No connection string: pass --connection or set DATABASE_URL.');
  const ownPool = !deps.pool;
  // Pipelining lets a query's begin, settings, statement and commit share one round trip.
  if (deps.pool && deps.onStatement) throw new Error('onStatement needs the server\'s own pool (create yours with tracedClient)');
  const pool = deps.pool ?? new Pool({
    connectionString: options.connection, application_name: 'forum-dev', pipeline: true, max: options.maxPoolSize,
    ...(deps.onStatement ? { Client: tracedClient(deps.onStatement) } : {}),
  } as PoolConfig);
  // A client that errors (e.g. the database restarted) must not crash the process.
  if (ownPool) guardPool(pool, hooks.log);
  let snapshot;
  try {
    snapshot = await loadSnapshot(pool, schemaOptions(options), 1);
    const pooled = await choosePreparedStatements(pool, options.preparedStatements, hooks.log);
    // LISTEN holds a session, which a pooler in transaction mode does not give
    if (pooled && !options.ownerConnection && (options.watch || options.subscriptions)) {
      hooks.log?.('Watch mode, subscriptions and live queries LISTEN on a session: through a pooler in transaction mode pass --owner-connection with a direct connection to PostgreSQL.');
    }
  } catch (e) {
    if (ownPool) await pool.end().catch(() => {});
    throw e;
  }
  const live = createLiveSchema(snapshot);
  for (const w of snapshot.model.warnings ?? []) (hooks.log ?? console.warn)(`smart tags: ${w}`);
  await exportSchema(snapshot.schema, options);

  const app = express();
  app.disable('x-powered-by');
  if (options.cors) {
    app.use((req, res, next) => {
      res.set('Access-Control-Allow-Origin', '*');
      res.set('Access-Control-Allow-Methods', 'HEAD, GET, POST');
      res.set('Access-Control-Allow-Headers', 'Origin, X-Requested-With, Accept, Authorization, Content-Type, Content-Length, X-Apollo-Tracing');
      if (req.method === 'OPTIONS') {
        res.sendStatus(204);
        return;
      }
      next();
    });
  }
  const documents = createDocumentCache(limitsOf(options));
  const sockets = options.subscriptions;
  const auth = createAuth(options);
  const routes = httpRoutes({ live, pool, options, hooks, documents, auth, sockets });
  // The one LISTEN connection: subscriptions, live queries and the DDL watcher share it.
  // LISTEN needs a session of its own: behind a pooler in transaction mode, the owner connection is the direct one
  const hub = sockets || options.watch ? createNotifyHub({ connection: options.ownerConnection ?? options.connection, log: hooks.log }) : undefined;
  let watch: WatchMode | undefined;
  if (options.watch) {
    try {
      watch = await startWatchMode({
        options, pool, live, hub: hub!, log: hooks.log ?? ((line) => console.log(line)), announce: routes.announce,
      });
    } catch (e) {
      await hub?.close();
      if (ownPool) await pool.end().catch(() => {});
      throw e;
    }
  }
  app.use(routes.router);
  // CORS headers are added by the express app, so with CORS every request goes through it
  const httpServer = http.createServer(options.cors ? app : (req, res) => {
    if (!routes.fastPost(req, res)) app(req, res);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port, options.host, () => resolve());
    });
  } catch (e) {
    // e.g. the port is taken: release what was started before saying so
    await watch?.close().catch(() => {});
    routes.close();
    await hub?.close();
    if (ownPool) await pool.end().catch(() => {});
    throw e;
  }
  const subscriptions = hub && sockets
    ? attachSubscriptions({ httpServer, path: options.graphqlRoute, live, pool, options, hub, log: hooks.log, pgSettings: hooks.pgSettings, documents, auth })
    : undefined;
  const addr = httpServer.address() as { port: number; address: string };
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    live, pool, httpServer, app, hub, liveQueries: subscriptions?.liveQueries,
    async close() {
      await watch?.close();
      routes.close();
      await subscriptions?.close();
      await hub?.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections?.();
      });
      if (ownPool) await pool.end();
    },
  };
}

/** The CLI's entry: create the server and log each operation unless the query log is off. */
export async function startServer(options: Options): Promise<RunningServer> {
  const log = options.disableQueryLog ? undefined : (line: string) => console.log(line);
  return createServer(options, { log });
}
