// The one typed Options object every stage reads. Flags, environment variables and `.env`
// resolve to this (see cli/parse.ts); the library API accepts the same shape. Implications
// between options are worked out once, in resolveOptions, and each stage gets its projection.
import type { IncomingMessage } from 'node:http';
import type { SchemaOptions } from './schema/build';
import { defaultLimits, type Limits } from './execute/limits';
import type { JwtVerifyChecks } from './auth/verify';
import { simplifyOptionsFrom } from './schema/inflection-simplify';
import { CONNECTION_FILTER, filterOptionsFrom } from './schema/filter-options';
import { SIMPLIFY_INFLECTOR } from './plugins';
import { buildOptionToggles, defaultV4SchemaOptions, type LegacyRelations } from './schema/v4-options';

/** Options; the document limits (depth, cost, page size, ...) are described in execute/limits.ts. */
export interface Options extends Limits, JwtVerifyChecks {
  /** Main connection string; undefined means "start the embedded database". */
  connection?: string;
  /** Connection with DDL rights (event triggers, SQL-file watcher). Defaults to `connection`. */
  ownerConnection?: string;
  /** Exposed PostgreSQL schemas, in order. */
  schemas: string[];
  defaultRole?: string;
  /** Most connections in the request pool (v4's `--max-pool-size`; node-postgres' default 10). */
  maxPoolSize?: number;
  /**
   * v4's `--cluster-workers`: with 2 or more, the CLI forks that many processes that each serve
   * HTTP on the shared port; the embedded database, the one LISTEN connection (relayed to the
   * workers), the watch triggers and --watch-sql stay in the primary.
   */
  clusterWorkers?: number;
  jwtSecret?: string;
  jwtPublicKey?: string;
  /** `schema.type` of the composite that is signed into a JWT. */
  jwtTokenIdentifier?: string;
  jwtVerifyAlgorithms?: string[];
  jwtAudiences?: string[];
  /** Dotted path into the claims for the role, v4's `--jwt-role` (default `role`). */
  jwtRole: string[];
  port: number;
  host: string;
  watch: boolean;
  /**
   * Serve the watch-mode dev-token route even when bound to a non-loopback host (it still signs
   * only for loopback clients of the same origin). Off: the route is off on such a host.
   */
  dangerouslyExposeDevTokens: boolean;
  /** Files or folders of `.sql` files applied on save (watch mode). */
  watchSql: string[];
  disableDefaultMutations: boolean;
  /** v4's `--simple-collections`: list fields beside or instead of connections. */
  simpleCollections: 'omit' | 'both' | 'only';
  /** JSON and JSONB as JSON values rather than JSON text. */
  dynamicJson: boolean;
  exportSchemaGraphql?: string;
  exportSchemaJson?: string;
  /** v4's `-X, --no-server`: export the schema files, then exit without serving. */
  noServer?: boolean;
  /** When true, fields the roles cannot use are still exposed (v4's default). */
  ignoreRbac: boolean;
  /** v4's `setofFunctionsContainNulls` (default true; `-N` sets it false). */
  setofFunctionsContainNulls: boolean;
  cors: boolean;
  /** Body size limit in express/bytes syntax, e.g. `100kB`. */
  bodySizeLimit: string;
  disableQueryLog: boolean;
  extendedErrors: string[];
  showErrorStack: boolean;
  subscriptions: boolean;
  simpleSubscriptions: boolean;
  live: boolean;
  /** Minimum milliseconds between two runs of one live query (default 100: at most 10 per second). */
  liveIntervalMs?: number;
  graphqlRoute: string;
  graphiqlRoute: string;
  graphiql: boolean;
  retryOnInitFail: boolean;
  /**
   * Named prepared statements per connection: true always, false never (needed behind a pooler
   * in transaction mode, e.g. PgBouncer), undefined (default) unless a pooler is detected.
   */
  preparedStatements?: boolean;
  /** Directory for the embedded database and its generated secret. */
  dataDir: string;
  /** Per-request `statement_timeout` in milliseconds, transaction-local (0: none). */
  statementTimeout: number;
  /** Milliseconds a request waits for a pooled connection before a "server is busy" error (0: forever). */
  poolWaitTimeout: number;
  /** v4 plugins to turn on, by package name; only built-in ones (see plugins.ts) are accepted. */
  appendPlugins: string[];
  /** v4's `graphileBuildOptions`: the options of those plugins (e.g. `pgOmitListSuffix`). */
  graphileBuildOptions: Record<string, unknown>;
  /** A `postgraphile.tags.json5` file of smart tags, merged with database comments. */
  tagsFile?: string;
  /**
   * v4's `allowExplain`: requests with `X-PostGraphile-Explain: on` get the SQL and EXPLAIN plan
   * of their statements (`explain` in the response, shown by GraphiQL). A function decides per
   * request. For development: plans tell a client about the database.
   */
  allowExplain: boolean | ((req: IncomingMessage) => boolean | Promise<boolean>);
  /**
   * v4's `enhanceGraphiql` (which v4 requires beside `allowExplain`): forum-dev's GraphiQL is
   * always the enhanced one (explorer, headers kept, Explain), so this changes nothing.
   */
  enhanceGraphiql: boolean;
  /** v4's schema options (`--classic-ids`, `--no-ignore-indexes`, ...): see schema/v4-options.ts. */
  classicIds: boolean;
  ignoreIndexes: boolean;
  includeExtensionResources: boolean;
  usePartitionedParent: boolean;
  legacyRelations: LegacyRelations;
  legacyJsonUuid: boolean;
  /** Smart comments read as tags (v4's `enableTags`, library only). */
  enableTags: boolean;
  /** v4's `--sort-export`: exported SDL and JSON sorted by name. */
  sortExport: boolean;
  /** v4's `--timeout`: node's `server.timeout`, milliseconds an idle HTTP socket is kept (0: forever). */
  serverTimeout?: number;
  /** v4's `--enable-query-batching`: a JSON array of operations in one POST, answered by an array. */
  enableQueryBatching?: boolean;
  /** v4's `--websockets`: `v0` (subscriptions-transport-ws) and/or `v1` (graphql-ws), `[]` for none; default both with subscriptions. */
  websockets?: string[];
  /** v4's `--websocket-operations`: `subscriptions` (default) or `all` (queries and mutations too). */
  websocketOperations?: 'subscriptions' | 'all';
  /** v4's `--read-cache` / `--write-cache`: introspection results cached in a file (see introspection/cache.ts). */
  readCache?: string;
  writeCache?: string;
}

export const defaultOptions: Options = {
  schemas: ['public'],
  jwtRole: ['role'],
  port: 5000,
  host: 'localhost',
  watch: false,
  dangerouslyExposeDevTokens: false,
  watchSql: [],
  disableDefaultMutations: false,
  simpleCollections: 'omit',
  dynamicJson: false,
  ignoreRbac: true,
  setofFunctionsContainNulls: true,
  cors: false,
  bodySizeLimit: '100kB',
  disableQueryLog: false,
  extendedErrors: [],
  showErrorStack: false,
  subscriptions: false,
  simpleSubscriptions: false,
  live: false,
  graphqlRoute: '/graphql',
  graphiqlRoute: '/graphiql',
  graphiql: true,
  retryOnInitFail: false,
  dataDir: '.forum-dev',
  ...defaultLimits,
  statementTimeout: 30_000,
  poolWaitTimeout: 5_000,
  appendPlugins: [],
  graphileBuildOptions: {},
  allowExplain: false,
  enhanceGraphiql: true,
  ...defaultV4SchemaOptions,
  sortExport: false,
};

/**
 * Applies the implications between options, once: live queries and `listen` need the WebSocket
 * transport (watch mode adds no root fields: with v4's flags the schema is v4's). Idempotent,
 * so the CLI and the server can both call it.
 */
export function resolveOptions(options: Options): Options {
  return { ...options, subscriptions: options.subscriptions || options.simpleSubscriptions || options.live };
}

/** The WebSocket protocols served: as `--websockets` says, else v4's default (both, when subscriptions are on). */
export function websocketVersions(o: Options): string[] {
  return o.websockets ?? (resolveOptions(o).subscriptions ? ['v0', 'v1'] : []);
}

export const websocketsOn = (o: Options): boolean => websocketVersions(o).length > 0;
/** Whether anything LISTENs: watch mode, or subscriptions served over a WebSocket. */
export const needsListen = (o: Options): boolean => o.watch || websocketsOn(o);
/**
 * Whether an introspection makes the keys by which the next reload takes unchanged tables'
 * columns from it: in watch mode, unless a cache file holds whole answers (one written after
 * each rebuild; one read, which only the first introspection reads).
 */
export const keepsColumns = (o: Options, reload = false): boolean => !!o.watch && !o.writeCache && (reload || !o.readCache);
/** What the first snapshot keeps for the reloads that may follow it (see loadSnapshot). */
export const firstSnapshot = (o: Options): { reloads: boolean; columnKeys: boolean } => ({ reloads: !!o.watch, columnKeys: keepsColumns(o) });

/** What the schema stage needs of the options. */
export function schemaOptions(options: Options): SchemaOptions {
  const o = resolveOptions(options);
  return {
    schemas: o.schemas,
    jwtTokenIdentifier: o.jwtTokenIdentifier,
    disableDefaultMutations: o.disableDefaultMutations,
    ignoreRbac: o.ignoreRbac,
    simpleSubscriptions: o.simpleSubscriptions,
    live: o.live,
    subscriptions: o.subscriptions,
    simpleCollections: o.simpleCollections,
    dynamicJson: o.dynamicJson,
    setofFunctionsContainNulls: o.setofFunctionsContainNulls,
    tagsFile: o.tagsFile,
    simplifyInflector: o.appendPlugins.includes(SIMPLIFY_INFLECTOR) ? simplifyOptionsFrom(o.graphileBuildOptions) : undefined,
    classicIds: o.classicIds, ignoreIndexes: o.ignoreIndexes, includeExtensionResources: o.includeExtensionResources,
    usePartitionedParent: o.usePartitionedParent, legacyRelations: o.legacyRelations, legacyJsonUuid: o.legacyJsonUuid,
    enableTags: o.enableTags,
    ...buildOptionToggles(o.graphileBuildOptions),
    connectionFilter: o.appendPlugins.includes(CONNECTION_FILTER) ? filterOptionsFrom(o.graphileBuildOptions) : undefined,
  };
}

/** What the document limits need of the options (see execute/limits.ts). */
export function limitsOf(o: Options): Limits {
  return {
    maxDocumentLength: o.maxDocumentLength, maxQueryDepth: o.maxQueryDepth, maxQueryCost: o.maxQueryCost,
    maxPageSize: o.maxPageSize, maxAliases: o.maxAliases, maxRootFields: o.maxRootFields,
    disableIntrospection: o.disableIntrospection,
  };
}

// --- checks between v4's server options that the CLI and the library share: each problem is
// one line naming the options involved (the CLI prints it, the library throws it) ---

/** `--websockets` values: v4's `v0`/`v1`, plus `none`. */
export function websocketsProblem(values: string[], where: string): string | undefined {
  const bad = values.find((v) => !['v0', 'v1', 'none'].includes(v));
  if (bad !== undefined) return `${where} must be v0, v1 (comma-separated) or none, not '${bad}'`;
  if (values.includes('none') && values.length > 1) return `${where}: none cannot be combined with '${values.find((v) => v !== 'none')}'`;
  return undefined;
}

const CLI_NAMES = { readCache: '--read-cache', writeCache: '--write-cache', watch: '--watch' };
export const LIBRARY_NAMES = { readCache: 'readCache', writeCache: 'writeCache', watch: 'watchPg' };

/** Combinations v4 refuses, with its reasons, naming the options as the caller knows them. */
export function serverOptionsProblem(o: Pick<Options, 'readCache' | 'writeCache' | 'watch'>, n = CLI_NAMES): string | undefined {
  if (o.readCache && o.writeCache) return `use ${n.readCache} or ${n.writeCache}, not both`;
  if (o.readCache && o.watch) return `${n.readCache} cannot be used with ${n.watch}: watch mode introspects the database on every change`;
  return undefined;
}
