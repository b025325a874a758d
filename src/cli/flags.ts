// The table of every command-line flag: its names (PostGraphile v4's where v4 has the flag),
// the environment variable that can set it, how its value is read, and its help line.

export type FlagKind =
  | 'string' // one value
  | 'list' // comma-separated values
  | 'repeat' // may be given many times, values accumulate
  | 'bool' // no value; sets the field to `value`
  | 'port' // integer 1..65535
  | 'count' // integer >= 1
  | 'limit' // integer >= 0 (0 turns a limit off)
  | 'path' // one value, resolved against cwd
  | 'errorStack'; // v4's `--show-error-stack [json|string]`

export interface FlagSpec {
  /** Options field this flag sets; `help`/`version` are handled by the caller. */
  key: string;
  long: string;
  short?: string;
  /** Extra long names accepted (v4's deprecated spellings). */
  aliases?: string[];
  env?: string;
  kind: FlagKind;
  /** For `bool`: the value the flag sets (e.g. `--no-ignore-rbac` sets ignoreRbac=false). */
  value?: boolean;
  arg?: string;
  help: string;
}

export const flagSpecs: FlagSpec[] = [
  // Connection
  { key: 'connection', long: 'connection', short: 'c', env: 'DATABASE_URL', kind: 'string', arg: 'URL',
    help: 'PostgreSQL connection string for the API; without it the embedded database starts' },
  { key: 'ownerConnection', long: 'owner-connection', short: 'C', env: 'OWNER_DATABASE_URL', kind: 'string',
    arg: 'URL', help: 'privileged, direct connection (watch fixtures, SQL files, LISTEN); defaults to --connection' },
  { key: 'schemas', long: 'schema', short: 's', env: 'SCHEMAS', kind: 'list', arg: 'LIST',
    help: 'comma-separated PostgreSQL schemas to expose (default public)' },
  { key: 'defaultRole', long: 'default-role', short: 'r', env: 'DEFAULT_ROLE', kind: 'string', arg: 'ROLE',
    help: 'role used for requests without a JWT' },
  { key: 'maxPoolSize', long: 'max-pool-size', short: 'm', env: 'FORUM_DEV_MAX_POOL_SIZE', kind: 'count', arg: 'N',
    help: 'most connections in the request pool (default 10)' },
  { key: 'clusterWorkers', long: 'cluster-workers', env: 'FORUM_DEV_CLUSTER_WORKERS', kind: 'count', arg: 'N',
    help: 'serve from N worker processes (node:cluster; N >= 2); LISTEN, watch triggers and --watch-sql stay in the primary' },
  { key: 'retryOnInitFail', long: 'retry-on-init-fail', env: 'FORUM_DEV_RETRY_ON_INIT_FAIL', kind: 'bool',
    value: true, help: 'keep retrying the initial connection with backoff instead of exiting' },
  { key: 'preparedStatements', long: 'no-prepared-statements', env: 'FORUM_DEV_PREPARED_STATEMENTS', kind: 'bool',
    value: false, help: 'send statements unnamed, for PgBouncer in transaction mode (env: true/false; default: prepared unless a pooler is detected)' },
  { key: 'dataDir', long: 'data-dir', env: 'FORUM_DEV_DATA_DIR', kind: 'path', arg: 'DIR',
    help: 'directory for the embedded database and its secrets (default .forum-dev)' },
  // JWT
  { key: 'jwtSecret', long: 'jwt-secret', short: 'e', aliases: ['secret'], env: 'JWT_SECRET', kind: 'string',
    arg: 'SECRET', help: 'secret that signs and verifies JWTs; without it auth is off' },
  { key: 'jwtPublicKey', long: 'jwt-public-key', env: 'JWT_PUBLIC_KEY', kind: 'string', arg: 'KEY',
    help: 'public key that verifies JWTs (asymmetric algorithms)' },
  { key: 'jwtTokenIdentifier', long: 'jwt-token-identifier', short: 't', aliases: ['token'],
    env: 'JWT_TOKEN_IDENTIFIER', kind: 'string', arg: 'SCHEMA.TYPE',
    help: 'composite type that is signed into a JWT when returned' },
  { key: 'jwtVerifyAlgorithms', long: 'jwt-verify-algorithms', env: 'JWT_VERIFY_ALGORITHMS', kind: 'list',
    arg: 'LIST', help: 'comma-separated JWT algorithms accepted when verifying' },
  { key: 'jwtAudiences', long: 'jwt-audiences', short: 'A', aliases: ['jwt-verify-audience'],
    env: 'JWT_AUDIENCES', kind: 'list', arg: 'LIST', help: 'comma-separated JWT audiences accepted' },
  { key: 'jwtVerifyIssuer', long: 'jwt-verify-issuer', env: 'JWT_VERIFY_ISSUER', kind: 'list', arg: 'LIST',
    help: 'comma-separated JWT issuers (iss) accepted' },
  { key: 'jwtVerifySubject', long: 'jwt-verify-subject', env: 'JWT_VERIFY_SUBJECT', kind: 'string', arg: 'SUB',
    help: 'the JWT subject (sub) required' },
  { key: 'jwtVerifyId', long: 'jwt-verify-id', env: 'JWT_VERIFY_ID', kind: 'string', arg: 'JTI',
    help: 'the JWT id (jti) required' },
  { key: 'jwtVerifyClockTolerance', long: 'jwt-verify-clock-tolerance', env: 'JWT_VERIFY_CLOCK_TOLERANCE', kind: 'string',
    arg: 'SECONDS', help: 'seconds of clock difference tolerated when checking exp and nbf' },
  { key: 'jwtVerifyIgnoreExpiration', long: 'jwt-verify-ignore-expiration', env: 'JWT_VERIFY_IGNORE_EXPIRATION', kind: 'bool',
    value: true, help: 'accept expired JWTs (exp is not checked)' },
  { key: 'jwtVerifyIgnoreNotBefore', long: 'jwt-verify-ignore-not-before', env: 'JWT_VERIFY_IGNORE_NOT_BEFORE', kind: 'bool',
    value: true, help: 'accept JWTs before their nbf time' },
  { key: 'jwtRole', long: 'jwt-role', env: 'JWT_ROLE', kind: 'string', arg: 'PATH',
    help: 'path to the role claim, dotted or comma-separated (default role)' },
  // Schema
  { key: 'watch', long: 'watch', short: 'w', env: 'FORUM_DEV_WATCH', kind: 'bool', value: true,
    help: 'rebuild the GraphQL schema when the database schema changes' },
  { key: 'dangerouslyExposeDevTokens', long: 'dangerously-expose-dev-tokens', env: 'FORUM_DEV_DANGEROUSLY_EXPOSE_DEV_TOKENS',
    kind: 'bool', value: true,
    help: 'keep the dev-token route with --watch on a non-loopback --host (still loopback clients only)' },
  { key: 'watchSql', long: 'watch-sql', env: 'FORUM_DEV_WATCH_SQL', kind: 'repeat', arg: 'PATH',
    help: 'apply a .sql file (or a folder of them) on save; repeatable' },
  { key: 'disableDefaultMutations', long: 'disable-default-mutations', short: 'M',
    env: 'FORUM_DEV_DISABLE_DEFAULT_MUTATIONS', kind: 'bool', value: true,
    help: 'no CRUD mutations; only mutations from functions' },
  { key: 'simpleCollections', long: 'simple-collections', env: 'FORUM_DEV_SIMPLE_COLLECTIONS', kind: 'string',
    arg: 'omit|both|only', help: 'plain list fields beside (both) or instead of (only) connections (default omit)' },
  { key: 'dynamicJson', long: 'dynamic-json', short: 'j', env: 'FORUM_DEV_DYNAMIC_JSON', kind: 'bool', value: true,
    help: 'JSON and JSONB as JSON values instead of JSON text' },
  { key: 'setofFunctionsContainNulls', long: 'no-setof-functions-contain-nulls', short: 'N',
    env: 'FORUM_DEV_SETOF_FUNCTIONS_CONTAIN_NULLS', kind: 'bool', value: false,
    help: 'rows of set-returning functions are never null: non-null list items and edge nodes' },
  { key: 'ignoreRbac', long: 'no-ignore-rbac', env: 'FORUM_DEV_IGNORE_RBAC', kind: 'bool', value: false,
    help: 'hide what no role may use (env: true/false, default true)' },
  { key: 'classicIds', long: 'classic-ids', short: 'a', env: 'FORUM_DEV_CLASSIC_IDS', kind: 'bool', value: true,
    help: 'the global id field is `id` (Relay 1); a column named id becomes rowId' },
  { key: 'ignoreIndexes', long: 'no-ignore-indexes', env: 'FORUM_DEV_IGNORE_INDEXES', kind: 'bool', value: false,
    help: 'no condition/orderBy on unindexed columns, no relations over unindexed foreign keys (env: true/false, default true)' },
  { key: 'includeExtensionResources', long: 'include-extension-resources', env: 'FORUM_DEV_INCLUDE_EXTENSION_RESOURCES',
    kind: 'bool', value: true, help: 'expose tables and functions that belong to extensions too' },
  { key: 'usePartitionedParent', long: 'use-partitioned-parent', env: 'FORUM_DEV_USE_PARTITIONED_PARENT', kind: 'bool',
    value: true, help: 'expose partitioned tables instead of their partitions' },
  { key: 'legacyRelations', long: 'legacy-relations', env: 'FORUM_DEV_LEGACY_RELATIONS', kind: 'string',
    arg: 'omit|deprecated|only', help: 'the old connection shape of one-to-one backward relations (default deprecated)' },
  { key: 'legacyJsonUuid', long: 'legacy-json-uuid', env: 'FORUM_DEV_LEGACY_JSON_UUID', kind: 'bool', value: true,
    help: "v3's scalar names Json and Uuid instead of JSON and UUID" },
  { key: 'sortExport', long: 'sort-export', env: 'FORUM_DEV_SORT_EXPORT', kind: 'bool', value: true,
    help: 'sort the exported schema (SDL and JSON) by name, for stable diffs' },
  { key: 'appendPlugins', long: 'append-plugins', env: 'FORUM_DEV_APPEND_PLUGINS', kind: 'list', arg: 'LIST',
    help: 'v4 plugins to turn on (built in): @graphile-contrib/pg-simplify-inflector, postgraphile-plugin-connection-filter' },
  { key: 'tagsFile', long: 'tags-file', env: 'FORUM_DEV_TAGS_FILE', kind: 'path', arg: 'FILE',
    help: 'smart tags file, merged with comments (default ./postgraphile.tags.json5 when it exists)' },
  { key: 'exportSchemaGraphql', long: 'export-schema-graphql', env: 'FORUM_DEV_EXPORT_SCHEMA_GRAPHQL',
    kind: 'path', arg: 'FILE', help: 'write the schema in GraphQL SDL to FILE' },
  { key: 'exportSchemaJson', long: 'export-schema-json', short: 'x', env: 'FORUM_DEV_EXPORT_SCHEMA_JSON',
    kind: 'path', arg: 'FILE', help: 'write the introspection result as JSON to FILE' },
  { key: 'noServer', long: 'no-server', short: 'X', env: 'FORUM_DEV_NO_SERVER', kind: 'bool', value: true,
    help: 'export the schema (-x, --export-schema-graphql) and exit without serving' },
  // Server
  { key: 'port', long: 'port', short: 'p', env: 'PORT', kind: 'port', arg: 'PORT',
    help: 'HTTP port (default 5000)' },
  { key: 'host', long: 'host', short: 'n', env: 'HOST', kind: 'string', arg: 'HOST',
    help: 'HTTP host to bind (default localhost)' },
  { key: 'cors', long: 'cors', short: 'o', env: 'FORUM_DEV_CORS', kind: 'bool', value: true,
    help: 'enable generous CORS headers' },
  { key: 'bodySizeLimit', long: 'body-size-limit', short: 'l', env: 'FORUM_DEV_BODY_SIZE_LIMIT', kind: 'string',
    arg: 'SIZE', help: 'largest request body, e.g. 200kB or 5MB (default 100kB)' },
  { key: 'graphqlRoute', long: 'graphql', short: 'q', env: 'FORUM_DEV_GRAPHQL_ROUTE', kind: 'string',
    arg: 'ROUTE', help: 'route of the GraphQL endpoint (default /graphql)' },
  { key: 'graphiqlRoute', long: 'graphiql', short: 'i', env: 'FORUM_DEV_GRAPHIQL_ROUTE', kind: 'string',
    arg: 'ROUTE', help: 'route of GraphiQL (default /graphiql)' },
  { key: 'graphiql', long: 'disable-graphiql', short: 'b', env: 'FORUM_DEV_DISABLE_GRAPHIQL', kind: 'bool',
    value: false, help: 'do not serve GraphiQL' },
  { key: 'serverTimeout', long: 'timeout', env: 'FORUM_DEV_TIMEOUT', kind: 'limit', arg: 'MS',
    help: 'close HTTP sockets idle for MS milliseconds (node\'s server.timeout; default 0: never)' },
  { key: 'enableQueryBatching', long: 'enable-query-batching', env: 'FORUM_DEV_ENABLE_QUERY_BATCHING', kind: 'bool',
    value: true, help: 'accept a JSON array of operations in one POST and answer an array of results' },
  { key: 'disableQueryLog', long: 'disable-query-log', env: 'FORUM_DEV_DISABLE_QUERY_LOG', kind: 'bool',
    value: true, help: 'do not log each query' },
  { key: 'allowExplain', long: 'allow-explain', env: 'FORUM_DEV_ALLOW_EXPLAIN', kind: 'bool', value: true,
    help: 'answer X-PostGraphile-Explain: on with the SQL and EXPLAIN plans, shown in GraphiQL (development only)' },
  { key: 'enhanceGraphiql', long: 'enhance-graphiql', env: 'FORUM_DEV_ENHANCE_GRAPHIQL', kind: 'bool', value: true,
    help: 'accepted for v4 scripts (v4 needs it with --allow-explain): GraphiQL here always has the explorer and headers' },
  { key: 'extendedErrors', long: 'extended-errors', env: 'FORUM_DEV_EXTENDED_ERRORS', kind: 'list', arg: 'LIST',
    help: 'PostgreSQL error fields added to GraphQL errors, e.g. hint,detail,errcode' },
  { key: 'showErrorStack', long: 'show-error-stack', env: 'FORUM_DEV_SHOW_ERROR_STACK', kind: 'errorStack',
    help: 'include JavaScript stacks in GraphQL errors (development)' },
  { key: 'subscriptions', long: 'subscriptions', short: 'S', env: 'FORUM_DEV_SUBSCRIPTIONS', kind: 'bool',
    value: true, help: 'enable GraphQL subscriptions over websockets' },
  { key: 'simpleSubscriptions', long: 'simple-subscriptions', env: 'FORUM_DEV_SIMPLE_SUBSCRIPTIONS',
    kind: 'bool', value: true, help: 'add the `listen` subscription field; implies --subscriptions' },
  { key: 'live', long: 'live', short: 'L', env: 'FORUM_DEV_LIVE', kind: 'bool', value: true,
    help: 'live queries via subscriptions; implies --subscriptions' },
  { key: 'websockets', long: 'websockets', env: 'FORUM_DEV_WEBSOCKETS', kind: 'list', arg: 'LIST',
    help: 'WebSocket protocols: v0 (subscriptions-transport-ws), v1 (graphql-ws), v0,v1 (the default with subscriptions) or none' },
  { key: 'websocketOperations', long: 'websocket-operations', env: 'FORUM_DEV_WEBSOCKET_OPERATIONS', kind: 'string',
    arg: 'subscriptions|all', help: 'operations taken over WebSocket: subscriptions (default) or all (queries and mutations too)' },
  { key: 'readCache', long: 'read-cache', env: 'FORUM_DEV_READ_CACHE', kind: 'path', arg: 'FILE',
    help: 'build the schema from the introspection cached in FILE (written by --write-cache) instead of introspecting' },
  { key: 'writeCache', long: 'write-cache', env: 'FORUM_DEV_WRITE_CACHE', kind: 'path', arg: 'FILE',
    help: 'write the introspection results to FILE, for --read-cache' },
  // Limits (0 turns a limit off)
  { key: 'maxDocumentLength', long: 'max-document-length', env: 'FORUM_DEV_MAX_DOCUMENT_LENGTH', kind: 'limit', arg: 'CHARS',
    help: 'longest GraphQL document, on HTTP and WebSocket (default 100000)' },
  { key: 'maxQueryDepth', long: 'max-query-depth', env: 'FORUM_DEV_MAX_QUERY_DEPTH', kind: 'limit', arg: 'N',
    help: 'deepest field nesting, root fields being 1 (default 20)' },
  { key: 'maxQueryCost', long: 'max-query-cost', env: 'FORUM_DEV_MAX_QUERY_COST', kind: 'limit', arg: 'N',
    help: 'largest estimated cost: each field once per row it may be read for, a list without first/last as 100 rows (default 100000)' },
  { key: 'maxPageSize', long: 'max-page-size', env: 'FORUM_DEV_MAX_PAGE_SIZE', kind: 'limit', arg: 'N',
    help: 'largest first/last argument (default 1000)' },
  { key: 'maxAliases', long: 'max-aliases', env: 'FORUM_DEV_MAX_ALIASES', kind: 'limit', arg: 'N',
    help: 'most aliased fields in one operation (default 100)' },
  { key: 'maxRootFields', long: 'max-root-fields', env: 'FORUM_DEV_MAX_ROOT_FIELDS', kind: 'limit', arg: 'N',
    help: 'most root fields in one operation (default 50)' },
  { key: 'disableIntrospection', long: 'disable-introspection', env: 'FORUM_DEV_DISABLE_INTROSPECTION', kind: 'bool',
    value: true, help: 'refuse __schema and __type queries (production; GraphiQL then cannot load the schema)' },
  { key: 'statementTimeout', long: 'statement-timeout', env: 'FORUM_DEV_STATEMENT_TIMEOUT', kind: 'limit', arg: 'MS',
    help: 'per-request statement_timeout in milliseconds (default 30000)' },
  { key: 'poolWaitTimeout', long: 'pool-wait-timeout', env: 'FORUM_DEV_POOL_WAIT_TIMEOUT', kind: 'limit', arg: 'MS',
    help: 'longest wait for a database connection before a "server is busy" error (default 5000)' },
  // Meta
  { key: 'help', long: 'help', short: 'h', kind: 'bool', value: true, help: 'show this help and exit' },
  { key: 'version', long: 'version', short: 'V', kind: 'bool', value: true, help: 'print the version and exit' },
];

/**
 * PostGraphile v4 flags forum-dev does not take (yet). Each is refused by name, never ignored:
 * a v4 script that passes one learns at once what differs.
 */
export const v4FlagsNotTaken: Record<string, string> = {
  'prepend-plugins': '', 'skip-plugins': '', plugins: '', 'legacy-functions-only': '',
};

export function v4FlagRefusal(name: string): string | undefined {
  const long = v4FlagsNotTaken[name] !== undefined ? name
    : Object.keys(v4FlagsNotTaken).find((k) => v4FlagsNotTaken[k] !== '' && v4FlagsNotTaken[k] === name);
  if (!long) return undefined;
  return `'--${long}' is a PostGraphile v4 option that forum-dev does not support; remove it (see forum-dev --help for what is supported)`;
}

export function findLong(name: string): FlagSpec | undefined {
  return flagSpecs.find((s) => s.long === name || (s.aliases ?? []).includes(name));
}

export function findShort(letter: string): FlagSpec | undefined {
  return flagSpecs.find((s) => s.short === letter);
}
