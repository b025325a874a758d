// Everything served over HTTP, mounted in one place for the server and the library middleware:
// the change stream and dev-token route (watch mode), the GraphQL route, and GraphiQL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from 'express';
import type { Pool } from 'pg';
import type { Auth } from '../auth/auth';
import type { DocumentCache } from '../execute/documents';
import { websocketVersions, type Options } from '../options';
import type { LiveSchema } from '../schema/snapshot';
import { devTokenRouter, devTokenState } from './dev-token';
import { createEventStream, eventStreamHeaders } from './events';
import { loadExpress } from './express';
import { graphiqlRoutes } from './graphiql';
import { fastGraphqlPost, graphqlHandler, graphqlRouter, type HttpHooks } from './routes';

export interface HttpRoutesContext {
  live: LiveSchema;
  pool: Pool;
  /** Resolved options (see resolveOptions). */
  options: Options;
  hooks: HttpHooks;
  documents: DocumentCache;
  auth: Auth;
  /** Whether GraphiQL should connect to the WebSocket transport. */
  sockets: boolean;
}

export interface HttpRoutes {
  /** Every route as one express router, made (and express loaded) on first use. */
  readonly router: Router;
  /**
   * Answers a plain GraphQL POST without express (true), or leaves the request to `router`
   * (false). For servers that own the HTTP server and add nothing around the router.
   */
  fastPost(req: IncomingMessage, res: ServerResponse): boolean;
  /** Sends a reload event to GraphiQL's change stream (watch mode; otherwise it goes nowhere). */
  announce(event: string, id: number | undefined, data: unknown): void;
  close(): void;
}

export function httpRoutes(ctx: HttpRoutesContext): HttpRoutes {
  const { options } = ctx;
  let hooks = ctx.hooks;
  const stream = options.watch ? createEventStream(ctx.live, options.graphqlRoute) : undefined;
  const devTokens = devTokenState(options).on;
  if (stream) hooks = { ...hooks, responseHeaders: { ...hooks.responseHeaders, ...eventStreamHeaders(options.graphqlRoute) } };
  const handle = graphqlHandler(ctx.live, ctx.pool, options, hooks, ctx.documents, ctx.auth);
  // pgSettings, handleErrors and allowExplain functions are given the express request (handleErrors
  // also sees the body parser's errors), so those requests go through express
  const fastPost = hooks.pgSettings || hooks.handleErrors || typeof options.allowExplain === 'function'
    ? () => false : fastGraphqlPost(options.graphqlRoute, options.bodySizeLimit, handle);
  const graphiql = options.graphiql
    ? graphiqlRoutes({
      graphqlRoute: options.graphqlRoute, graphiqlRoute: options.graphiqlRoute, watch: options.watch,
      streamRoute: options.watch ? `${options.graphqlRoute}/stream` : undefined,
      // GraphiQL's client speaks v1 (graphql-ws)
      subscriptionsUrl: ctx.sockets && websocketVersions(options).includes('v1') ? options.graphqlRoute : undefined,
      devTokens, allowExplain: options.allowExplain,
    })
    : undefined;
  const makeRouter = (): Router => {
    const router = loadExpress().Router();
    if (stream) {
      // Before the GraphQL router, which would otherwise answer `<graphqlRoute>/stream`.
      router.get(stream.path, stream.handle);
      if (devTokens) {
        router.use(devTokenRouter({
          graphqlRoute: options.graphqlRoute, sign: ctx.auth.sign!, bodySizeLimit: options.bodySizeLimit,
          jwtRole: options.jwtRole, pool: ctx.pool, schemas: options.schemas,
        }));
      }
    }
    router.use(graphqlRouter(options, hooks, handle));
    if (graphiql) router.use(graphiql());
    return router;
  };
  let router: Router | undefined;
  return {
    get router() {
      return (router ??= makeRouter());
    },
    fastPost,
    announce: (event, id, data) => stream?.send(event, id, data),
    close: () => stream?.close(),
  };
}
