// Assembles the running server: pool, first schema snapshot, express app (GraphQL, GraphiQL),
// schema exports, and watch mode when asked. `startServer` is what the CLI calls.
import { rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import express from 'express';
import { graphqlSync, getIntrospectionQuery, printSchema, type GraphQLSchema } from 'graphql';
import { Pool, type PoolConfig } from 'pg';
import type { Options } from '../cli/options';
import { graphiqlRouter } from './graphiql';
import { graphqlRouter, type HttpHooks } from './http';
import { createLiveSchema, loadSnapshot, type LiveSchema } from './snapshot';
import { eventStreamHeaders, startWatchMode, type WatchMode } from './watch-mode';
import { createNotifyHub, type NotifyHub } from './notify-hub';
import { attachSubscriptions } from './subscriptions';
import type { LiveQueries } from './live-queries';
import type { SchemaOptions } from '../schema/build';

export interface RunningServer {
  url: string;
  live: LiveSchema;
  pool: Pool;
  httpServer: http.Server;
  app: express.Express;
  /** The LISTEN connection of subscriptions, when they are on. */
  hub?: NotifyHub;
  /** Live queries (`--live`, `--watch`): their groups and run counter. */
  liveQueries?: LiveQueries;
  close(): Promise<void>;
}

export function schemaOptions(options: Options): SchemaOptions {
  return {
    schemas: options.schemas,
    jwtTokenIdentifier: options.jwtTokenIdentifier,
    disableDefaultMutations: options.disableDefaultMutations,
    ignoreRbac: options.ignoreRbac,
    simpleSubscriptions: options.simpleSubscriptions,
    // Live queries are on in watch mode, where the schema and data change under the client.
    live: options.live || options.watch,
    simpleCollections: options.simpleCollections,
    dynamicJson: options.dynamicJson,
  };
}

/** Writes next to the file, then renames: tools watching the file never see half of it. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export async function exportSchema(schema: GraphQLSchema, options: Options): Promise<void> {
  if (options.exportSchemaGraphql) await writeAtomically(options.exportSchemaGraphql, `${printSchema(schema)}\n`);
  if (options.exportSchemaJson) {
    const result = graphqlSync({ schema, source: getIntrospectionQuery() });
    await writeAtomically(options.exportSchemaJson, `${JSON.stringify(result, null, 2)}\n`);
  }
}

export interface ServerDeps {
  /** Use this pool instead of opening one (it is left open on close: the caller owns it). */
  pool?: Pool;
}

export async function createServer(options: Options, hooks: HttpHooks = {}, deps: ServerDeps = {}): Promise<RunningServer> {
  if (!options.connection) throw new Error('No connection string: pass --connection or set DATABASE_URL.');
  const ownPool = !deps.pool;
  // Pipelining lets a query's begin, settings, statement and commit share one round trip.
  const pool = deps.pool ?? new Pool({ connectionString: options.connection, application_name: 'forum-dev', pipeline: true } as PoolConfig);
  // An idle client that errors (e.g. the database restarted) must not crash the process.
  pool.on('error', (e) => hooks.log?.(`database connection lost: ${e.message}`));
  let snapshot;
  try {
    snapshot = await loadSnapshot(pool, schemaOptions(options), 1);
  } catch (e) {
    if (ownPool) await pool.end().catch(() => {});
    throw e;
  }
  const live = createLiveSchema(snapshot);
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
  let watch: WatchMode | undefined;
  if (options.watch) {
    try {
      watch = await startWatchMode({ options, pool, live, log: hooks.log ?? ((line) => console.log(line)) });
    } catch (e) {
      if (ownPool) await pool.end().catch(() => {});
      throw e;
    }
    // Before the GraphQL router, which would otherwise answer `<graphqlRoute>/stream`.
    app.use(watch.router);
    hooks = { ...hooks, responseHeaders: { ...hooks.responseHeaders, ...eventStreamHeaders(options) } };
  }
  app.use(graphqlRouter(live, pool, options, hooks));
  const wantsSockets = options.subscriptions || options.simpleSubscriptions || options.live || options.watch;
  if (options.graphiql) {
    app.use(graphiqlRouter({
      graphqlRoute: options.graphqlRoute, graphiqlRoute: options.graphiqlRoute, watch: options.watch,
      streamRoute: options.watch ? `${options.graphqlRoute}/stream` : undefined,
      subscriptionsUrl: wantsSockets ? options.graphqlRoute : undefined,
      devTokens: options.watch && !!options.jwtSecret,
    }));
  }
  const httpServer = http.createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port, options.host, () => resolve());
    });
  } catch (e) {
    // e.g. the port is taken: release what was started before saying so
    await watch?.close().catch(() => {});
    if (ownPool) await pool.end().catch(() => {});
    throw e;
  }
  const hub = wantsSockets
    ? createNotifyHub({ connection: options.connection, log: hooks.log })
    : undefined;
  const subscriptions = hub
    ? attachSubscriptions({ httpServer, path: options.graphqlRoute, live, pool, options, hub, log: hooks.log, pgSettings: hooks.pgSettings })
    : undefined;
  const addr = httpServer.address() as { port: number; address: string };
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    live, pool, httpServer, app, hub, liveQueries: subscriptions?.liveQueries,
    async close() {
      await watch?.close();
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
