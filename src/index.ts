// The package's public API: the server as the CLI runs it, and v4-compatible library functions.
export { createPostGraphileSchema, withPostGraphileContext, postgraphile } from './library';
export type {
  SchemaBuildOptions, PostGraphileContextOptions, PostGraphileContext, PostGraphileV4Options, MiddlewareOptions,
  PostGraphileMiddleware,
} from './library';
export { createServer, startServer } from './server/server';
export type { RunningServer, ServerDeps } from './server/server';
export type { HttpHooks } from './server/http';
export { defaultOptions } from './cli/options';
export type { Options } from './cli/options';
export { attachResolvers, NODE_TYPE } from './server/resolvers';
export type { ResolverContext, ResolverOptions } from './server/resolvers';
