// The library API, with PostGraphile v4's names and calling conventions so v4 integrations work
// unchanged: a schema to execute with graphql-js on the caller's client, the per-request
// transaction with JWT claims applied, and the HTTP routes as middleware for an existing app.
import type http from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { Pool, type PoolClient } from 'pg';
import { createAuth } from './auth/auth';
import { guardPool } from './db/pool';
import { defaultOptions, firstSnapshot, LIBRARY_NAMES, limitsOf, resolveOptions, schemaOptions, serverOptionsProblem, websocketsOn, websocketsProblem, type Options } from './options';
import { attachSubscriptions, type SubscriptionServer } from './http/websocket';
import { choosePreparedStatements, useUnnamedStatements } from './db/prepared';
import { withTransaction } from './db/transaction';
import { introspect } from './introspection/introspect';
import { withIntrospectionCache } from './introspection/cache';
import { fromJwtVerifyOptions } from './auth/verify-options';
import type { HandleErrors } from './http/handle-errors';
import { withInitRetry, type RetryOnInitFail } from './retry-init';
import { buildGraphQLSchema, type SchemaOptions } from './schema/build';
import { createDocumentCache } from './execute/documents';
import { attachResolvers } from './execute/resolvers';
import { httpRoutes, type HttpRoutes } from './http/app';
import type { HttpHooks } from './http/routes';
import { createNotifyHub, type NotifyHub } from './realtime/notify-hub';
import { createLiveSchema } from './schema/snapshot';
import { exportSchema } from './watch/export';
import { loadSnapshot, startWatchMode, type WatchMode } from './watch/reload';
import { pluginNames, SIMPLIFY_INFLECTOR } from './plugins';
import { simplifyOptionsFrom } from './schema/inflection-simplify';
import {
  buildOptionToggles, checkLegacyRelations, defaultV4SchemaOptions, type V4SchemaOptions,
} from './schema/v4-options';
import { CONNECTION_FILTER, filterOptionsFrom } from './schema/filter-options';

/** v4's postgraphile-core options that change the schema (see schema/v4-options.ts). */
type CoreSchemaOptions = Pick<V4SchemaOptions, 'classicIds' | 'ignoreIndexes' | 'includeExtensionResources'
  | 'usePartitionedParent' | 'legacyRelations' | 'legacyJsonUuid' | 'enableTags'>;

export interface SchemaBuildOptions extends CoreSchemaOptions {
  /** JSON and JSONB as JSON values rather than JSON text. */
  dynamicJson?: boolean;
  /** Signs tokens of the JWT type (v4: `pgJwtSecret` / `jwtSecret`). */
  pgJwtSecret?: string;
  jwtSecret?: string;
  /** `schema.type` of the composite signed into a JWT (v4: `pgJwtTypeIdentifier` / `jwtPgTypeIdentifier`). */
  pgJwtTypeIdentifier?: string;
  jwtPgTypeIdentifier?: string;
  jwtTokenIdentifier?: string;
  disableDefaultMutations?: boolean;
  /** Expose fields the roles cannot use (v4's default: true). */
  ignoreRBAC?: boolean;
  ignoreRbac?: boolean;
  simpleCollections?: 'omit' | 'both' | 'only';
  /** Arguments without defaults are required for every function (also read from `graphileBuildOptions`). */
  pgStrictFunctions?: boolean;
  /** v4's `setofFunctionsContainNulls` (default true). */
  setofFunctionsContainNulls?: boolean;
  /** Subscription fields: `listen` (v4's simple subscriptions plugin) and live queries. */
  simpleSubscriptions?: boolean;
  live?: boolean;
  /** v4's `subscriptions` (implied by the two above). */
  subscriptions?: boolean;
  /** false: statements go unnamed on the caller's client (a pooler in transaction mode, e.g. PgBouncer). */
  preparedStatements?: boolean;
  /** v4 plugins, by package name or as the plugin object; only built-in ones are accepted. */
  appendPlugins?: unknown[];
  /** Options of those plugins, as in v4 (e.g. `{ pgOmitListSuffix: true }`). */
  graphileBuildOptions?: Record<string, unknown>;
  /** A `postgraphile.tags.json5` smart tags file. */
  tagsFile?: string;
  /** v4's introspection cache: read it instead of introspecting, or write it (see introspection/cache.ts). */
  readCache?: string | Record<string, unknown>;
  writeCache?: string;
}

const schemaBuildKeys = new Set(['readCache', 'writeCache', 'dynamicJson', 'pgJwtSecret', 'jwtSecret', 'pgJwtTypeIdentifier', 'jwtPgTypeIdentifier',
  'jwtTokenIdentifier', 'disableDefaultMutations', 'ignoreRBAC', 'ignoreRbac', 'simpleCollections', 'pgStrictFunctions',
  'setofFunctionsContainNulls', 'simpleSubscriptions', 'live', 'subscriptions', 'preparedStatements', 'appendPlugins', 'graphileBuildOptions', 'tagsFile',
  'classicIds', 'ignoreIndexes', 'includeExtensionResources', 'usePartitionedParent', 'legacyRelations', 'legacyJsonUuid', 'enableTags']);

/** The v4 schema options given to createPostGraphileSchema, checked as v4 checks them. */
function v4SchemaOptionsOf(o: SchemaBuildOptions): V4SchemaOptions {
  const out: V4SchemaOptions = { ...buildOptionToggles(o.graphileBuildOptions ?? {}) };
  if (o.pgStrictFunctions !== undefined) out.pgStrictFunctions = o.pgStrictFunctions;
  for (const key of ['classicIds', 'ignoreIndexes', 'includeExtensionResources', 'usePartitionedParent', 'legacyJsonUuid', 'enableTags'] as const) {
    if (o[key] !== undefined) out[key] = !!o[key];
  }
  if (o.legacyRelations !== undefined) out.legacyRelations = checkLegacyRelations(o.legacyRelations, 'createPostGraphileSchema()');
  return out;
}

/**
 * What v4's createPostGraphileSchema takes: a connection string (or none: DATABASE_URL), a pg
 * Pool, or a client checked out of one (which introspects inside the caller's transaction).
 */
export type SchemaConnection = string | Pool | PoolClient | undefined;

async function withDb<T>(connection: SchemaConnection, fn: (db: Pool | PoolClient) => Promise<T>): Promise<T> {
  const url = connection ?? process.env.DATABASE_URL;
  if (url === undefined) {
    throw new Error('createPostGraphileSchema(): give a connection string, a pg Pool or a client from one (or set DATABASE_URL).');
  }
  if (typeof url !== 'string') return fn(url);
  const pool = new Pool({ connectionString: url, max: 1, application_name: 'forum-dev' });
  // An idle connection the server ends (a restart, a dropped database) must not end the caller's
  // process: the pool's 'error' event has no other listener.
  pool.on('error', () => {});
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** The error for options we do not take: each is named, none is dropped silently. */
function refusal(fn: string, keys: string[]): Error {
  const list = keys.map((k) => `\`${k}\``).join(', ');
  const them = keys.length > 1 ? 'them' : 'it';
  return new Error(`${fn}(): forum-dev does not support the option${keys.length > 1 ? 's' : ''} ${list}; remove ${them} (see the README for the options it takes).`);
}

const schemaList = (schemas: string | string[]) => (Array.isArray(schemas) ? schemas : [schemas]);

/**
 * A graphql-js schema with resolvers: execute it with `graphql({ schema, source, contextValue:
 * { pgClient } })`, where `pgClient` is a connected client whose transaction and settings the
 * caller owns (see `withPostGraphileContext`).
 */
export async function createPostGraphileSchema(
  connection: SchemaConnection, schemas: string | string[], options: SchemaBuildOptions = {},
): Promise<GraphQLSchema> {
  const refused = Object.keys(options).filter((k) => !schemaBuildKeys.has(k) && (options as Record<string, unknown>)[k] !== undefined);
  if (refused.length) {
    throw refusal('createPostGraphileSchema', refused);
  }
  const built: SchemaOptions = {
    schemas: schemaList(schemas),
    jwtTokenIdentifier: options.pgJwtTypeIdentifier ?? options.jwtPgTypeIdentifier ?? options.jwtTokenIdentifier,
    disableDefaultMutations: !!options.disableDefaultMutations,
    ignoreRbac: options.ignoreRBAC ?? options.ignoreRbac ?? true,
    dynamicJson: !!options.dynamicJson,
    simpleCollections: options.simpleCollections,
    setofFunctionsContainNulls: options.setofFunctionsContainNulls,
    simpleSubscriptions: options.simpleSubscriptions,
    subscriptions: options.subscriptions,
    live: options.live,
    simplifyInflector: pluginNames(options.appendPlugins ?? []).includes(SIMPLIFY_INFLECTOR)
      ? simplifyOptionsFrom(options.graphileBuildOptions ?? {}) : undefined,
    ...defaultV4SchemaOptions,
    ...v4SchemaOptionsOf(options),
    connectionFilter: pluginNames(options.appendPlugins ?? []).includes(CONNECTION_FILTER)
      ? filterOptionsFrom(options.graphileBuildOptions ?? {}) : undefined,
  };
  if (options.readCache && options.writeCache) throw new Error('Use `readCache` or `writeCache` - not both.');
  const model = await withDb(connection, async (pool) => {
    return withIntrospectionCache(pool, options, (db) => introspect(db, built.schemas, { ...built, tagsFile: options.tagsFile }));
  });
  const schema = buildGraphQLSchema(model, built);
  return attachResolvers(schema, model, { dynamicJson: built.dynamicJson, jwtSecret: options.pgJwtSecret ?? options.jwtSecret, preparedStatements: options.preparedStatements });
}

export interface PostGraphileContextOptions {
  pgPool: Pool;
  jwtToken?: string;
  jwtSecret?: string;
  jwtPublicKey?: string;
  jwtVerifyAlgorithms?: string[];
  /** Accepted `aud` values; v4's default is `['postgraphile']`, `[]` turns the check off. */
  jwtAudiences?: string[];
  /** Path to the role claim; defaults to `['role']`. */
  jwtRole?: string[];
  pgDefaultRole?: string;
  /** Extra transaction-local settings (a `role` here replaces the JWT's). */
  pgSettings?: Record<string, unknown>;
  /** false: statements on `pgPool` go unnamed (a pooler in transaction mode, e.g. PgBouncer). */
  preparedStatements?: boolean;
  /** jsonwebtoken's verify options, as v4 takes them (see auth/verify-options.ts). */
  jwtVerifyOptions?: Record<string, unknown>;
}

export interface PostGraphileContext {
  pgClient: PoolClient;
  pgRole?: string;
  jwtClaims: Record<string, unknown> | null;
}

/**
 * As v4: verifies the token, opens one transaction with role and claims set locally, calls back
 * with `{ pgClient }`, then commits (or rolls back when the callback throws). A token that fails
 * verification throws an Error whose `statusCode` is 401 (expired) or 403.
 */
export async function withPostGraphileContext<T>(
  options: PostGraphileContextOptions, callback: (context: PostGraphileContext) => Promise<T>,
): Promise<T> {
  const verify = options.jwtVerifyOptions ? fromJwtVerifyOptions(options.jwtVerifyOptions, options.jwtAudiences) : {};
  const auth = createAuth({ ...options, ...verify, defaultRole: options.pgDefaultRole });
  let claims: Record<string, unknown> | null = null;
  if (options.jwtToken) {
    const verified = auth.verify(options.jwtToken);
    if (!verified.ok) throw Object.assign(new Error(verified.message), { statusCode: verified.status });
    claims = verified.claims;
  }
  const settings = auth.settings(claims ?? {}, options.pgSettings);
  const pgRole = settings.find(([k]) => k === 'role')?.[1];
  if (options.preparedStatements === false) useUnnamedStatements(options.pgPool);
  return withTransaction(options.pgPool, settings, (pgClient) => callback({ pgClient, pgRole, jwtClaims: claims }));
}

/** v4's middleware option names, accepted beside ours. */
export interface PostGraphileV4Options {
  pgDefaultRole?: string;
  jwtPgTypeIdentifier?: string;
  pgJwtTypeIdentifier?: string;
  pgJwtSecret?: string;
  /** v4's name for `watch`. */
  watchPg?: boolean;
  /** v4's names for `ownerConnection`, `exportSchemaGraphql` and `exportSchemaJson`. */
  ownerConnectionString?: string;
  exportGqlSchemaPath?: string;
  exportJsonSchemaPath?: string;
  enableCors?: boolean;
  ignoreRBAC?: boolean;
  /** Extra transaction settings: an object, or a function of the request. */
  pgSettings?: Record<string, unknown> | ((req: Request) => Record<string, unknown> | Promise<Record<string, unknown>>);
  /** jsonwebtoken's verify options (`algorithms`, `audience`, `issuer`, `subject`, `jwtid`, `clockTolerance`, ...). */
  jwtVerifyOptions?: Record<string, unknown>;
  /** Given each response's errors, returns the errors to send (not with extendedErrors/showErrorStack, as v4). */
  handleErrors?: HandleErrors;
  /** Keep trying to build the first schema: true (v4's backoff) or a function deciding per failure. */
  retryOnInitFail?: RetryOnInitFail;
  /** v4's introspection cache; a file path, or the cache's parsed contents. */
  readCache?: string | Record<string, unknown>;
}

export type MiddlewareOptions = Omit<Partial<Options>, 'appendPlugins' | 'retryOnInitFail' | 'readCache'> & PostGraphileV4Options & {
  /** v4 plugins, by package name or as the plugin object; only built-in ones are accepted. */
  appendPlugins?: unknown[];
};

export interface PostGraphileMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** Resolves once the schema is loaded (rejects if it could not be). */
  ready(): Promise<void>;
  /** Stops watch mode and ends the pool when it was opened here. */
  release(): Promise<void>;
}

/** Our Options from v4's names and ours; ours win where both are given. */
export function middlewareOptions(connection: string | undefined, schemas: string | string[], o: MiddlewareOptions): Options {
  const v4: Partial<Options> = {};
  if (o.pgDefaultRole !== undefined) v4.defaultRole = o.pgDefaultRole;
  const jwtType = o.pgJwtTypeIdentifier ?? o.jwtPgTypeIdentifier;
  if (jwtType !== undefined) v4.jwtTokenIdentifier = jwtType;
  if (o.pgJwtSecret !== undefined) v4.jwtSecret = o.pgJwtSecret;
  if (o.watchPg !== undefined) v4.watch = o.watchPg;
  if (o.enableCors !== undefined) v4.cors = o.enableCors;
  if (o.ignoreRBAC !== undefined) v4.ignoreRbac = o.ignoreRBAC;
  if (o.ownerConnectionString !== undefined) v4.ownerConnection = o.ownerConnectionString;
  if (o.exportGqlSchemaPath !== undefined) v4.exportSchemaGraphql = o.exportGqlSchemaPath;
  if (o.exportJsonSchemaPath !== undefined) v4.exportSchemaJson = o.exportJsonSchemaPath;
  if (o.jwtVerifyOptions !== undefined) Object.assign(v4, fromJwtVerifyOptions(o.jwtVerifyOptions, o.jwtAudiences));
  if (o.handleErrors && (o.extendedErrors?.length || o.showErrorStack)) {
    throw new Error("You cannot combine 'handleErrors' with the other error options");
  }
  if (o.websockets !== undefined) {
    const problem = Array.isArray(o.websockets) ? websocketsProblem(o.websockets, 'websockets') : 'websockets must be an array, e.g. [\'v1\'] or []';
    if (problem) throw new Error(`postgraphile(): ${problem}`);
  }
  const ours: Partial<Options> = {};
  const refused: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (k in defaultOptions || isOptionalKey(k)) (ours as any)[k] = v;
    else if (!v4Names.has(k)) refused.push(k);
  }
  // An option that is dropped silently (an export never written, a limit never applied) is
  // worse than one refused: name each one.
  if (refused.length) {
    throw refusal('postgraphile', refused);
  }
  if (o.appendPlugins) ours.appendPlugins = pluginNames(o.appendPlugins);
  if (o.legacyRelations !== undefined) checkLegacyRelations(o.legacyRelations, 'postgraphile()');
  buildOptionToggles(o.graphileBuildOptions ?? {});
  if (o.retryOnInitFail !== undefined) ours.retryOnInitFail = !!o.retryOnInitFail;
  // an object cache is the library's alone; it is read where the schema is built
  if (o.readCache !== undefined && typeof o.readCache !== 'string') delete ours.readCache;
  const full = resolveOptions({ ...defaultOptions, ...v4, ...ours, connection, schemas: schemaList(schemas) });
  const problem = serverOptionsProblem({ ...full, readCache: o.readCache ? 'given' : undefined }, LIBRARY_NAMES);
  if (problem) throw new Error(`postgraphile(): ${problem}`);
  return full;
}

// Options fields that have no default value (so are not keys of `defaultOptions`).
const optionalKeys = new Set(['connection', 'ownerConnection', 'defaultRole', 'jwtSecret', 'jwtPublicKey', 'jwtTokenIdentifier',
  'jwtVerifyAlgorithms', 'jwtAudiences', 'exportSchemaGraphql', 'exportSchemaJson', 'preparedStatements', 'tagsFile',
  'jwtVerifyIssuer', 'jwtVerifySubject', 'jwtVerifyId', 'jwtVerifyClockTolerance', 'jwtVerifyIgnoreExpiration', 'jwtVerifyIgnoreNotBefore',
  'jwtVerifyMaxAge', 'serverTimeout', 'enableQueryBatching', 'websockets', 'websocketOperations', 'readCache', 'writeCache']);
const isOptionalKey = (k: string) => optionalKeys.has(k);

// v4's option names that middlewareOptions maps onto ours (or that are handled beside it).
const v4Names = new Set(['pgDefaultRole', 'jwtPgTypeIdentifier', 'pgJwtTypeIdentifier', 'pgJwtSecret', 'watchPg', 'enableCors',
  'ignoreRBAC', 'pgSettings', 'ownerConnectionString', 'exportGqlSchemaPath', 'exportJsonSchemaPath', 'jwtVerifyOptions', 'handleErrors']);

/**
 * v4's `postgraphile(connection, schemas, options)` for an existing express (or connect) app:
 * `app.use(postgraphile(...))` serves the GraphQL route and GraphiQL. Requests that arrive while
 * the schema is still loading wait for it. As in v4, WebSockets (subscriptions) are attached to
 * the HTTP server of the first request the middleware sees: a socket opened before any HTTP
 * request is not answered.
 */
export function postgraphile(connection: string | Pool, schemas: string | string[] = 'public', options: MiddlewareOptions = {}): PostGraphileMiddleware {
  const connectionString = typeof connection === 'string' ? connection : undefined;
  const full = middlewareOptions(connectionString, schemas, options);
  const ownPool = typeof connection === 'string';
  const pool = typeof connection === 'string' ? new Pool({ connectionString: connection, application_name: 'forum-dev' }) : connection;
  const log = full.disableQueryLog ? undefined : (line: string) => console.log(line);
  if (ownPool) guardPool(pool, log);
  const { pgSettings } = options;
  const hooks: HttpHooks = {
    log,
    pgSettings: typeof pgSettings === 'function' ? pgSettings : pgSettings ? () => pgSettings : undefined,
    handleErrors: options.handleErrors,
  };
  let released = false;
  const sockets = websocketsOn(full);
  let attachSockets: ((server: http.Server) => SubscriptionServer) | undefined;
  let attached: SubscriptionServer | undefined;
  let watch: WatchMode | undefined;
  let routes: HttpRoutes | undefined;
  let hub: NotifyHub | undefined;

  const router = (async () => {
    const first = await withInitRetry(async () => {
      return withIntrospectionCache(pool, { readCache: options.readCache, writeCache: full.writeCache }, (db) => loadSnapshot(db, schemaOptions(full), 1, firstSnapshot(full)));
    }, options.retryOnInitFail, () => released, log);
    const live = createLiveSchema(first);
    await exportSchema(live.current().schema, full);
    await choosePreparedStatements(pool, full.preparedStatements, log);
    if ((full.watch || sockets) && !connectionString && !full.ownerConnection) {
      throw new Error(`${full.watch ? 'watchPg' : 'subscriptions'} needs a connection string (or ownerConnectionString) to LISTEN on`);
    }
    const documents = createDocumentCache(limitsOf(full));
    const auth = createAuth(full);
    routes = httpRoutes({ live, pool, options: full, hooks, documents, auth, sockets });
    const connection = connectionString ?? full.ownerConnection!;
    if (full.watch || sockets) hub = createNotifyHub({ connection: full.ownerConnection ?? connection, log });
    if (sockets) {
      attachSockets = (httpServer) => attachSubscriptions({
        httpServer, path: full.graphqlRoute, live, pool, options: full, hub: hub!, log, pgSettings: hooks.pgSettings,
        handleErrors: hooks.handleErrors, documents, auth,
      });
    }
    if (full.watch) {
      watch = await startWatchMode({
        options: { ...full, connection }, pool, live, hub: hub!, log: log ?? (() => {}), announce: routes.announce,
      });
    }
    return routes.router;
  })();
  // Reported to requests (and `ready()`), never as an unhandled rejection.
  router.catch(() => {});

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    router.then((r) => {
      const server = (req.socket as { server?: http.Server }).server;
      if (attachSockets && !attached && server) attached = attachSockets(server);
      r(req, res, next);
    }, next).catch(next);
  }) as PostGraphileMiddleware;
  middleware.ready = () => router.then(() => undefined);
  middleware.release = async () => {
    released = true;
    await router.catch(() => undefined);
    await watch?.close();
    routes?.close();
    await attached?.close();
    await hub?.close();
    if (ownPool) await pool.end();
  };
  return middleware;
}
