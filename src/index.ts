// The package's public API: the server as the CLI runs it, and v4-compatible library functions.
export { createPostGraphileSchema, withPostGraphileContext, postgraphile } from './library';
export type {
  SchemaBuildOptions, PostGraphileContextOptions, PostGraphileContext, PostGraphileV4Options, MiddlewareOptions,
  PostGraphileMiddleware,
} from './library';
export { createServer, startServer } from './server';
export type { RunningServer, ServerDeps } from './server';
export type { HttpHooks } from './http/routes';
export { defaultOptions } from './options';
export type { Options } from './options';
export { attachResolvers, NODE_TYPE } from './execute/resolvers';
export type { ResolverContext, ResolverOptions } from './execute/resolvers';
