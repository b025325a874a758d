// The HTTP side: an express router for `POST/GET <graphqlRoute>` that authenticates the
// request, turns its JWT into transaction-local settings and runs the operation on the current
// schema snapshot. Bad input gets a GraphQL-shaped error body; nothing here can crash the process.
import express, { type Request, type Response, type NextFunction } from 'express';
import type { Pool } from 'pg';
import type { Auth } from '../auth/auth';
import type { Options } from '../options';
import type { DocumentCache } from '../execute/documents';
import { runOperation, type GraphQLRequest } from '../execute/operation';
import type { LiveSchema } from '../schema/snapshot';

export interface HttpHooks {
  /** Extra transaction settings per request, as v4's `pgSettings`. */
  pgSettings?: (req: Request) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Called with every finished operation, for the query log. */
  log?: (line: string) => void;
  /** Extra headers on GraphQL responses (e.g. X-GraphQL-Event-Stream in watch mode). */
  responseHeaders?: Record<string, string>;
}

/** True when the Accept header asks for application/graphql-response+json before plain JSON. */
export function prefersGraphQLResponse(accept: string | undefined): boolean {
  if (!accept) return false;
  const spec = accept.indexOf('application/graphql-response+json');
  if (spec < 0) return false;
  const plain = accept.search(/application\/json(?!\w)/);
  return plain < 0 || spec < plain;
}

export function graphqlRouter(live: LiveSchema, pool: Pool, options: Options, hooks: HttpHooks, documents: DocumentCache, auth: Auth) {
  const router = express.Router();
  const json = express.json({ limit: options.bodySizeLimit, type: ['application/json', 'application/graphql-response+json'] });
  const signJwt = auth.sign;

  const handle = async (req: Request, res: Response, body: GraphQLRequest, queriesOnly: boolean) => {
    const started = process.hrtime.bigint();
    // The GraphQL-over-HTTP media type gets the spec's status codes; plain JSON gets v4's.
    const specMedia = prefersGraphQLResponse(req.headers.accept);
    const send = (status: number, text: string) => {
      res.status(status).set('Content-Type', `${specMedia ? 'application/graphql-response+json' : 'application/json'}; charset=utf-8`);
      if (hooks.responseHeaders) res.set(hooks.responseHeaders);
      res.send(text);
    };
    const verified = auth.authenticate(req.headers.authorization);
    if (!verified.ok) {
      hooks.log?.(`${verified.status} rejected token (${verified.message})`);
      return send(verified.status, JSON.stringify({ errors: [{ message: verified.message }] }));
    }
    try {
      const extra = hooks.pgSettings ? await hooks.pgSettings(req) : undefined;
      const settings = auth.settings(verified.claims, extra);
      const r = await runOperation(live.current(), body, {
        pool, settings, signJwt, queriesOnly, documents,
        extendedErrors: options.extendedErrors, showErrorStack: options.showErrorStack,
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      hooks.log?.(`${r.operationType ?? 'request'} ${r.operationName ?? '(anonymous)'} ${ms.toFixed(1)} ms ${r.errors ? `${r.errors} error(s)` : 'ok'}`);
      send(specMedia ? r.status : r.compatStatus, r.body);
    } catch (e) {
      hooks.log?.(`internal error: ${(e as Error).message}`);
      send(500, JSON.stringify({ errors: [{ message: 'Internal server error.' }] }));
    }
  };

  router.post(options.graphqlRoute, json, (req, res) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      res.status(400).json({ errors: [{ message: 'The request body must be a JSON object with a `query` string (Content-Type: application/json).' }] });
      return;
    }
    void handle(req, res, body as GraphQLRequest, false);
  });
  router.get(options.graphqlRoute, (req, res) => {
    if (typeof req.query.query !== 'string') {
      if (req.accepts(['json', 'html']) === 'html' && options.graphiql) return res.redirect(options.graphiqlRoute);
      res.status(405).set('Allow', 'GET, POST').json({
        errors: [{ message: 'Send GraphQL requests with POST, or with GET and a `query` parameter.' }],
      });
      return undefined;
    }
    let variables: unknown;
    try {
      variables = typeof req.query.variables === 'string' ? JSON.parse(req.query.variables) : undefined;
    } catch {
      res.status(400).json({ errors: [{ message: 'The `variables` parameter is not valid JSON.' }] });
      return;
    }
    void handle(req, res, { query: req.query.query, variables, operationName: req.query.operationName }, true);
  });
  // Other methods: a JSON 405 naming the allowed ones, not Express's HTML 404. OPTIONS stays
  // with Express (and the CORS middleware), which answer it with the allowed methods.
  router.all(options.graphqlRoute, (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    res.status(405).set('Allow', 'GET, POST').json({
      errors: [{ message: `${req.method} is not supported here: send GraphQL requests with POST, or queries with GET.` }],
    });
  });
  // Malformed JSON, too-large bodies: a GraphQL error, never an HTML page or a crash.
  router.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
    const message = err.type === 'entity.too.large'
      ? `The request body is larger than the limit (${options.bodySizeLimit}).`
      : err.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : err.message;
    res.status(status).json({ errors: [{ message }] });
  });
  return router;
}
