// The HTTP side of the GraphQL route: a handler that authenticates the request, turns its JWT
// into transaction-local settings and runs the operation on the current schema snapshot; the
// common JSON POST reaches it directly, everything else through an express router for
// `POST/GET <graphqlRoute>`. Bad input gets a GraphQL-shaped error body; nothing here can crash
// the process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response, NextFunction, Router } from 'express';
import type { Pool } from 'pg';
import type { Auth } from '../auth/auth';
import { NO_CLAIMS } from '../auth/verify';
import type { Options } from '../options';
import type { DocumentCache } from '../execute/documents';
import { runOperation, type GraphQLRequest } from '../execute/operation';
import type { LiveSchema } from '../schema/snapshot';
import { goneSignal } from '../db/transaction';
import { batchItem, batchProblem, BATCHING_OFF, INVALID_BATCH_ITEM } from './batch';
import { loadExpress } from './express';
import { applyHandleErrors, handleErrorsInBody, type HandleErrors } from './handle-errors';

export interface HttpHooks {
  /** Extra transaction settings per request, as v4's `pgSettings`. */
  pgSettings?: (req: Request) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Called with every finished operation, for the query log. */
  log?: (line: string) => void;
  /** Extra headers on GraphQL responses (e.g. X-GraphQL-Event-Stream in watch mode). */
  responseHeaders?: Record<string, string>;
  /** v4's `handleErrors`: the errors of each response, as GraphQLErrors, in; the errors to send out. */
  handleErrors?: HandleErrors;
}

/** True when the Accept header asks for application/graphql-response+json before plain JSON. */
export function prefersGraphQLResponse(accept: string | undefined): boolean {
  if (!accept) return false;
  const spec = accept.indexOf('application/graphql-response+json');
  if (spec < 0) return false;
  const plain = accept.search(/application\/json(?!\w)/);
  return plain < 0 || spec < plain;
}

/** One operation, or with query batching an array of them. */
export type GraphQLHandler = (req: IncomingMessage, res: ServerResponse, body: GraphQLRequest | unknown[], queriesOnly: boolean) => Promise<void>;

/** v4's rule: Explain is allowed and the request asks with `X-PostGraphile-Explain: on`. */
async function explainAllowed(req: IncomingMessage, allow: Options['allowExplain']): Promise<boolean> {
  if (req.headers['x-postgraphile-explain'] !== 'on' || !allow) return false;
  return allow === true || (typeof allow === 'function' && !!(await allow(req)));
}

const notAnObject = 'The request body must be a JSON object with a `query` string (Content-Type: application/json), a form post (application/x-www-form-urlencoded) or the document itself (application/graphql).';

/** The GraphQL route's handler, for requests whose body is parsed. */
export function graphqlHandler(
  live: LiveSchema, pool: Pool, options: Options, hooks: HttpHooks, documents: DocumentCache, auth: Auth,
): GraphQLHandler {
  const signJwt = auth.sign;
  const extraHeaders = hooks.responseHeaders ? Object.entries(hooks.responseHeaders).flat() : undefined;

  /** True when the operation is refused before it would run: no query, or a document that fails parsing, limits or validation. */
  const failsBeforeRunning = (op: GraphQLRequest): boolean => {
    if (typeof op.query !== 'string' || op.query === '') return true;
    const snapshot = live.current();
    return documents.prepare(snapshot.generation, snapshot.schema, op.query).errors.length > 0;
  };

  const handleOrThrow: GraphQLHandler = async (req, res, body, queriesOnly) => {
    const started = process.hrtime.bigint();
    // The GraphQL-over-HTTP media type gets the spec's status codes; plain JSON gets v4's.
    const specMedia = prefersGraphQLResponse(req.headers.accept);
    // Written directly, not with res.send: that hashes every body into an ETag, which no
    // GraphQL client revalidates with.
    const send = (status: number, text: string | Buffer) => {
      // one writeHead with a flat list: setHeader per header costs more (headers set before,
      // e.g. by CORS middleware, are kept: Node merges them)
      const headers = [
        'Content-Type', specMedia ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8',
        'Content-Length', String(typeof text === 'string' ? Buffer.byteLength(text) : text.length),
      ];
      if (extraHeaders) headers.push(...extraHeaders);
      res.writeHead(status, headers);
      res.end(text);
    };
    // handleErrors sees every error body; a throwing hook is a 500, as in v4
    const handled = (text: string, originals?: unknown[]) =>
      (hooks.handleErrors && text.includes('"errors"') ? handleErrorsInBody(hooks.handleErrors, text, req, res, originals) : text);
    const batch = Array.isArray(body) ? body : undefined;
    // v4's 501 for plain JSON; the GraphQL-over-HTTP media type gets its 400 for a bad request
    if (batch && !options.enableQueryBatching) return send(specMedia ? 400 : 501, handled(JSON.stringify({ errors: [{ message: BATCHING_OFF }] })));
    const tooBig = batch && batchProblem(batch, documents.limits);
    if (tooBig) return send(400, handled(JSON.stringify({ errors: [{ message: tooBig }] })));
    const verified = auth.authenticate(req.headers.authorization);
    if (!verified.ok) hooks.log?.(`${verified.status} rejected token (${verified.message})`);
    // A client that goes away stops costing anything: its wait or statement is cancelled.
    const gone = goneSignal();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    try {
      // (no await unless asked: an await per request shows in profiles)
      const explain = req.headers['x-postgraphile-explain'] === 'on' && options.allowExplain ? await explainAllowed(req, options.allowExplain) : false;
      const one = async (op: GraphQLRequest) => {
        // Per operation, as v4 calls it (a batch calls the hook once for each of its operations).
        const extra = verified.ok && hooks.pgSettings ? await hooks.pgSettings(req as Request) : undefined;
        // Without a valid token only operations refused before they run get this far (no SQL);
        // were one to run anyway, it would run as the anonymous role, never the pool's.
        const settings = auth.settings(verified.ok ? verified.claims : NO_CLAIMS, extra);
        const originalErrors: unknown[] | undefined = hooks.handleErrors ? [] : undefined;
        const r = await runOperation(live.current(), op, {
          pool, settings, signJwt, queriesOnly, documents, originalErrors,
          connection: { waitMs: options.poolWaitTimeout, signal: gone },
          extendedErrors: options.extendedErrors, showErrorStack: options.showErrorStack, explain,
        });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        hooks.log?.(`${r.operationType ?? 'request'} ${r.operationName ?? '(anonymous)'} ${ms.toFixed(1)} ms ${r.errors ? `${r.errors} error(s)` : 'ok'}`);
        // the kept bytes are the body's only while no error handler could rewrite it
        return { ...r, body: r.errors ? handled(r.body, originalErrors) : r.body, bytes: r.errors ? undefined : r.bytes };
      };
      const errorOnly = (status: number, message: string) => ({ status, compatStatus: status, body: handled(JSON.stringify({ errors: [{ message }] })), bytes: undefined as Buffer | undefined });
      // As v4: the request and its document are checked before the token, so their errors come first.
      const answer = async (item: unknown) => {
        if (!item || typeof item !== 'object' || Array.isArray(item)) return errorOnly(400, INVALID_BATCH_ITEM);
        const op = withParsedVariables(item as GraphQLRequest);
        if (typeof op === 'string') return errorOnly(400, op);
        if (!verified.ok && !failsBeforeRunning(op as GraphQLRequest)) return errorOnly(verified.status, verified.message);
        return one(op as GraphQLRequest);
      };
      if (batch) {
        // One after another: a batch holds at most one pooled connection at a time.
        const items: string[] = [];
        for (const op of batch) {
          const r = await answer(op);
          items.push(batchItem(r.body, r.compatStatus));
        }
        return send(200, `[${items.join(',')}]`);
      }
      const r = await answer(body);
      send(specMedia ? r.status : r.compatStatus, r.bytes ?? r.body);
    } catch (e) {
      hooks.log?.(`internal error: ${(e as Error).message}`);
      send(500, JSON.stringify({ errors: [{ message: 'Internal server error.' }] }));
    }
  };

  // Whatever fails past the operation's own error handling (e.g. a throwing handleErrors) is a 500.
  return (req, res, body, queriesOnly) => handleOrThrow(req, res, body, queriesOnly).catch((e: Error) => {
    hooks.log?.(`internal error: ${e.message}`);
    if (res.headersSent) return void res.end();
    const text = JSON.stringify({ errors: [{ message: 'Internal server error.' }] });
    res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
}

/** The GraphQL route as an express router: every body and method, parsed, then given to `handle`. */
export function graphqlRouter(options: Options, hooks: HttpHooks, handle: GraphQLHandler): Router {
  const express = loadExpress();
  const router = express.Router();
  const json = express.json({ limit: options.bodySizeLimit, type: ['application/json', 'application/graphql-response+json'] });
  // v4 also takes form posts (`query=…&variables=…`) and a bare document as application/graphql
  const form = express.urlencoded({ extended: false, limit: options.bodySizeLimit, type: 'application/x-www-form-urlencoded' });
  const graphqlText = express.text({ limit: options.bodySizeLimit, type: 'application/graphql' });

  // A request error as JSON, through the integrator's handleErrors like every other error body.
  const requestError = (req: Request, res: Response, status: number, message: string) => {
    let errors: unknown[] = [{ message }];
    try {
      if (hooks.handleErrors) errors = applyHandleErrors(hooks.handleErrors, errors, req, res);
    } catch (e) {
      hooks.log?.(`internal error: ${(e as Error).message}`);
      [status, errors] = [500, [{ message: 'Internal server error.' }]];
    }
    res.status(status).json({ errors });
  };

  router.post(options.graphqlRoute, json, form, graphqlText, (req, res) => {
    const body = typeof req.body === 'string' ? { query: req.body } : req.body;
    if (!body || typeof body !== 'object') return requestError(req, res, 400, notAnObject);
    void handle(req, res, body as GraphQLRequest | unknown[], false);
  });
  router.get(options.graphqlRoute, (req, res) => {
    if (typeof req.query.query !== 'string') {
      if (req.accepts(['json', 'html']) === 'html' && options.graphiql) return res.redirect(options.graphiqlRoute);
      return requestError(req, res.set('Allow', 'GET, POST'), 405, 'Send GraphQL requests with POST, or with GET and a `query` parameter.');
    }
    // JSON text, read as a POST's string variables are (withParsedVariables)
    const variables = typeof req.query.variables === 'string' ? req.query.variables : undefined;
    void handle(req, res, { query: req.query.query, variables, operationName: req.query.operationName }, true);
  });
  // Other methods: a JSON 405 naming the allowed ones, not Express's HTML 404. OPTIONS stays
  // with Express (and the CORS middleware), which answer it with the allowed methods.
  router.all(options.graphqlRoute, (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    requestError(req, res.set('Allow', 'GET, POST'), 405, `${req.method} is not supported here: send GraphQL requests with POST, or queries with GET.`);
  });
  // Malformed JSON, too-large bodies: a GraphQL error, never an HTML page or a crash.
  router.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
    const message = err.type === 'entity.too.large'
      ? `The request body is larger than the limit (${options.bodySizeLimit}).`
      : err.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : err.message;
    requestError(req, res, status, message);
  });
  return router;
}

/**
 * `variables` as v4 takes them: an object, or JSON text of one (form posts, and clients that
 * send them as a string); an empty string is none. A string when the text is not JSON.
 */
function withParsedVariables(op: GraphQLRequest): GraphQLRequest | string {
  if (typeof op.variables !== 'string') return op;
  if (op.variables.trim() === '') return { ...op, variables: undefined };
  try {
    return { ...op, variables: JSON.parse(op.variables) };
  } catch {
    return 'The `variables` string is not valid JSON; send variables as a JSON object.';
  }
}

const sizeUnits: Record<string, number> = { b: 1, kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30, tb: 2 ** 40, pb: 2 ** 50 };

/** `100kB` in bytes, read as express's body parser reads it (binary units); null if unreadable. */
export function sizeLimit(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?$/i.exec(text.trim());
  return m ? Math.floor(Number(m[1]) * sizeUnits[(m[2] ?? 'b').toLowerCase()]) : null;
}

const jsonMedia = new Set(['application/json', 'application/graphql-response+json']);

/**
 * The common request, a JSON POST to the GraphQL route with a known length, answered without
 * express: its router, body parser and response helpers cost more per request than the rest of
 * the HTTP side. Returns false for anything else (other routes and methods, chunked or
 * compressed bodies, other charsets, bodies over the limit), which then goes through express.
 */
export function fastGraphqlPost(route: string, bodySizeLimit: string, handle: GraphQLHandler): (req: IncomingMessage, res: ServerResponse) => boolean {
  const limit = sizeLimit(bodySizeLimit);
  return (req, res) => {
    if (limit === null || req.method !== 'POST' || req.url !== route) return false;
    const h = req.headers;
    const length = Number(h['content-length']);
    if (!(length <= limit) || h['transfer-encoding'] || (h['content-encoding'] && h['content-encoding'] !== 'identity')) return false;
    const [media, ...params] = (h['content-type'] ?? '').split(';');
    if (!jsonMedia.has(media.trim().toLowerCase())) return false;
    if (params.some((p) => /^\s*charset\s*=/i.test(p) && !/=\s*"?utf-8"?\s*$/i.test(p))) return false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        // as express.json(): no body is `{}`, and only an object or array is a JSON body
        body = text.length === 0 ? {} : /^\s*[[{]/.test(text) ? JSON.parse(text) : undefined;
      } catch { /* not JSON */ }
      if (body === undefined) return sendError(res, 'The request body is not valid JSON.');
      if (!body || typeof body !== 'object') return sendError(res, notAnObject);
      void handle(req, res, body as GraphQLRequest | unknown[], false);
    });
    return true;
  };
}

function sendError(res: ServerResponse, message: string): void {
  const text = JSON.stringify({ errors: [{ message }] });
  res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
