// Assembles the running server: pool, first schema snapshot, express app (GraphQL, GraphiQL),
// schema exports, and watch mode when asked. `startServer` is what the CLI calls.
import http from 'node:http';
import type { Express } from 'express';
import { Pool, type PoolConfig } from 'pg';
import { createAuth } from './auth/auth';
import { guardPool } from './db/pool';
import { tracedClient, type StatementListener } from './db/trace';
import { choosePreparedStatements } from './db/prepared';
import { createDocumentCache } from './execute/documents';
import { httpRoutes, type HttpRoutes } from './http/app';
import { loadExpress } from './http/express';
import { devTokenPath } from './http/dev-token';
import type { HttpHooks } from './http/routes';
import type * as Websocket from './http/websocket';
import { firstSnapshot, limitsOf, resolveOptions, schemaOptions, needsListen, websocketsOn, type Options } from './options';
import { createNotifyHub, type NotifyHub } from './realtime/notify-hub';
import type { PrimaryLink } from './realtime/relay';
import type { LiveQueries } from './realtime/live-queries';
import { createLiveSchema, type LiveSchema, type Snapshot } from './schema/snapshot';
import { connectionTarget, describeConnectionError } from './db/connect-errors';
import { exportSchema } from './watch/export';
import { loadSnapshot, startWatchMode, type WatchMode } from './watch/reload';
import { withIntrospectionCache } from './introspection/cache';

export interface RunningServer {
  url: string;
  live: LiveSchema;
  pool: Pool;
  httpServer: http.Server;
  /**
   * The express app, made on first use; plain GraphQL POSTs are answered before it (see
   * HttpRoutes.fastPost).
   */
  readonly app: Express;
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
  /** Where start-up warnings go (e.g. schemas that do not exist); default stderr. */
  warn?: (line: string) => void;
  /** In a --cluster-workers worker: the primary's LISTEN connection and watch fixtures. */
  primary?: PrimaryLink;
}

/** v4 warns about schemas it cannot find; an API with nothing in it deserves a word too. */
export function schemaWarnings(snapshot: Snapshot, options: Options): string[] {
  const found = new Set(snapshot.model.namespaces.map((n) => n.name));
  const missing = options.schemas.filter((s) => !found.has(s));
  const db = describeDatabase(options.connection);
  if (missing.length) {
    return [`schema${missing.length > 1 ? 's' : ''} '${missing.join("', '")}' not found in ${db} (or not visible to its user); ` +
      `the API is built from: '${[...found].join("', '") || 'nothing'}'. Check -s/--schema and the connection string.`];
  }
  const { schema } = snapshot;
  const fields = [
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}).filter((f) => !['query', 'nodeId', 'id', 'node'].includes(f)),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
  ];
  if (fields.length === 0) {
    return [`schema${options.schemas.length > 1 ? 's' : ''} '${options.schemas.join("', '")}' in ${db} hold nothing the API can expose ` +
      '(no tables, views or functions its user may see). Check -s/--schema and the connection string (is DATABASE_URL the database you meant?).'];
  }
  return [];
}

/** The database and server of a connection string, without its password. */
function describeDatabase(connection: string | undefined): string {
  const t = connectionTarget(connection);
  return t.host ? `database '${t.database ?? ''}' on ${t.host}:${t.port}` : 'the database';
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
    snapshot = await withIntrospectionCache(pool, options, (db) => loadSnapshot(db, schemaOptions(options), 1, firstSnapshot(options)));
    const pooled = await choosePreparedStatements(pool, options.preparedStatements, hooks.log);
    // LISTEN holds a session, which a pooler in transaction mode does not give
    if (pooled && !options.ownerConnection && needsListen(options)) {
      hooks.log?.('Watch mode, subscriptions and live queries LISTEN on a session: through a pooler in transaction mode pass --owner-connection with a direct connection to PostgreSQL.');
    }
  } catch (e) {
    if (ownPool) await pool.end().catch(() => {});
    throw describeConnectionError(e, options.connection);
  }
  const warn = deps.warn ?? ((line: string) => console.warn(`forum-dev: ${line}`));
  for (const line of schemaWarnings(snapshot, options)) warn(line);
  const live = createLiveSchema(snapshot);
  for (const w of snapshot.warnings) (hooks.log ?? console.warn)(w);
  await exportSchema(snapshot.schema, options);

  const documents = createDocumentCache(limitsOf(options));
  const sockets = websocketsOn(options);
  const auth = createAuth(options);
  const routes = httpRoutes({ live, pool, options, hooks, documents, auth, sockets });
  let app: Express | undefined;
  const expressApp = () => (app ??= makeApp(options, routes));
  // CORS headers are added by the express app, so with CORS every request goes through it
  const httpServer = http.createServer(options.cors ? (req, res) => expressApp()(req, res) : (req, res) => {
    if (!routes.fastPost(req, res)) expressApp()(req, res);
  });
  // v4's --timeout: node's idle-socket timeout
  if (options.serverTimeout) httpServer.timeout = options.serverTimeout;
  // The port first: a taken port fails fast, before watch mode installs or connects anything.
  try {
    await listen(httpServer, options.port, options.host);
  } catch (e) {
    routes.close();
    if (ownPool) await pool.end().catch(() => {});
    throw listenError(e, options);
  }
  // The one LISTEN connection: subscriptions, live queries and the DDL watcher share it.
  // LISTEN needs a session of its own: behind a pooler in transaction mode, the owner connection is the direct one
  const hub = !needsListen(options) ? undefined
    : deps.primary?.hub ?? createNotifyHub({ connection: options.ownerConnection ?? options.connection, log: hooks.log });
  deps.primary?.onAnnounce((event, data) => routes.announce(event, undefined, data));
  let watch: WatchMode | undefined;
  if (options.watch) {
    try {
      watch = await startWatchMode({
        options, pool, live, hub: hub!, log: hooks.log ?? ((line) => console.log(line)), announce: routes.announce,
        primary: deps.primary && { triggers: deps.primary.triggers },
      });
    } catch (e) {
      await hub?.close();
      routes.close();
      await new Promise((resolve) => httpServer.close(resolve));
      if (ownPool) await pool.end().catch(() => {});
      throw e;
    }
  }
  const subscriptions = hub && sockets
    ? websocketSide().attachSubscriptions({ httpServer, path: options.graphqlRoute, live, pool, options, hub, log: hooks.log, pgSettings: hooks.pgSettings, handleErrors: hooks.handleErrors, documents, auth })
    : undefined;
  const addr = httpServer.address() as { port: number; address: string };
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    live, pool, httpServer, hub, liveQueries: subscriptions?.liveQueries,
    get app() {
      return expressApp();
    },
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

/** The WebSocket side (ws, graphql-ws), loaded only when subscriptions or live queries are on. */
function websocketSide(): typeof Websocket {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./http/websocket') as typeof Websocket;
}

/** The express app around every route, with v4's CORS headers when asked for. */
function makeApp(options: Options, routes: HttpRoutes): Express {
  const app = loadExpress()();
  app.disable('x-powered-by');
  if (options.cors) {
    // Express matches routes case-insensitively and with a trailing slash; so does this.
    const devTokens = devTokenPath(options.graphqlRoute).toLowerCase();
    app.use((req, res, next) => {
      // Another origin must never read a dev token; that route sends no CORS headers.
      if (req.path.toLowerCase().replace(/\/$/, '') === devTokens) return next();
      res.set('Access-Control-Allow-Origin', '*');
      res.set('Access-Control-Allow-Methods', 'HEAD, GET, POST');
      res.set('Access-Control-Allow-Headers', 'Origin, X-Requested-With, Accept, Authorization, Content-Type, Content-Length, X-Apollo-Tracing, X-PostGraphile-Explain');
      if (req.method === 'OPTIONS') {
        res.sendStatus(204);
        return;
      }
      next();
    });
  }
  app.use(routes.router);
  return app;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** What to do about a port that cannot be bound, in words (the bare error names only a syscall). */
function listenError(e: unknown, options: Options): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  const where = `${options.host}:${options.port}`;
  const why = code === 'EADDRINUSE'
    ? `port ${options.port} on ${options.host} is already in use (another forum-dev, or another program: on macOS, AirPlay takes 5000); stop it or choose another port with -p/--port`
    : code === 'EACCES'
      ? `not allowed to listen on ${where} (ports below 1024 need privileges); choose another port with -p/--port`
      : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `cannot listen on ${where}: '${options.host}' is not an address of this machine; use -n/--host localhost`
        : undefined;
  return why ? Object.assign(new Error(why), { code }) : (e as Error);
}

/** The CLI's entry: create the server and log each operation unless the query log is off. */
export async function startServer(options: Options, primary?: PrimaryLink): Promise<RunningServer> {
  const log = options.disableQueryLog ? undefined : (line: string) => console.log(line);
  return createServer(options, { log }, { primary });
}
