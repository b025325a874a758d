// GraphQL over WebSocket (graphql-ws, subprotocol `graphql-transport-ws`; v4's older v0 protocol
// through websocket-v0.ts) at the GraphQL route.
// The connection's `authorization` parameter is verified once, at connection_init, like the
// HTTP header; queries and mutations run exactly as over HTTP, `listen` via the notify hub.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, Kind, type ExecutionArgs, type FormattedExecutionResult, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { handleProtocols, makeServer, type ServerOptions, type SubscribePayload } from 'graphql-ws';
import { serveV0, V0_PROTOCOL, wantsV0 } from './websocket-v0';
import type { Pool } from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Setting } from '../db/settings';
import { goneSignal } from '../db/transaction';
import type { Auth } from '../auth/auth';
import { websocketVersions, type Options } from '../options';
import { sizeLimit, type HttpHooks } from './routes';
import { subscribeListen, type SharedRuns } from '../realtime/listen';
import { createLiveQueries, isLiveOperation, type LiveQueries } from '../realtime/live-queries';
import type { NotifyHub } from '../realtime/notify-hub';
import type { DocumentCache } from '../execute/documents';
import { runOperation, type RunOptions } from '../execute/operation';
import { checkRequest } from '../execute/limits';
import type { LiveSchema, Snapshot } from '../schema/snapshot';
import { createSubscriptionGuard } from '../realtime/subscription-guard';
import { applyHandleErrors, type HandleErrors } from './handle-errors';

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path: string;
  live: LiveSchema;
  pool: Pool;
  options: Options;
  hub: NotifyHub;
  log?: (line: string) => void;
  /** The integrator's per-request settings (as for HTTP), called with the upgrade request. */
  pgSettings?: HttpHooks['pgSettings'];
  /** The server's document cache, shared with HTTP. */
  documents: DocumentCache;
  auth: Auth;
  /** v4's `handleErrors`, given the upgrade request (a socket has no response to give). */
  handleErrors?: HandleErrors;
}

/** v4's answer to a query or mutation over the socket without `--websocket-operations all`. */
export const ONLY_SUBSCRIPTIONS = 'Only subscriptions are allowed over WebSocket transport';

export interface SubscriptionServer {
  wss: WebSocketServer;
  /** Live queries, when on (`--live`, `--watch`). */
  liveQueries?: LiveQueries;
  close(): Promise<void>;
}

interface ConnectionAuth {
  claims: Record<string, unknown>;
  settings: Setting[];
}

type Extra = { socket: WebSocket; request: http.IncomingMessage; auth?: ConnectionAuth; gone?: ReturnType<typeof goneSignal> };

interface OperationContext {
  snapshot: Snapshot;
  payload: SubscribePayload;
  run: Omit<RunOptions, 'queriesOnly'>;
  auth: ConnectionAuth;
}

// graphql-ws ships `use/ws` only through package exports, which this project's TypeScript
// module resolution does not read; Node's require does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as {
  useServer: (opts: ServerOptions<Record<string, unknown> | undefined, Extra> & { isProd?: boolean }, wss: WebSocketServer) => { dispose(): Promise<void> | void };
};

export function attachSubscriptions(o: SubscriptionServerOptions): SubscriptionServer {
  const { options, live, pool, hub } = o;
  const signJwt = o.auth.sign;
  const liveQueries = options.live
    ? createLiveQueries({
      live, hub, ownerConnection: options.ownerConnection ?? options.connection, intervalMs: options.liveIntervalMs, log: o.log,
    })
    : undefined;
  const guard = createSubscriptionGuard(live);
  const versions = websocketVersions(options);
  const shared: SharedRuns = new Map();
  const maxPayload = sizeLimit(options.bodySizeLimit);
  if (maxPayload === null) throw new Error(`bodySizeLimit is not a size: '${options.bodySizeLimit}'`);
  const wss = new WebSocketServer({
    noServer: true,
    // The same bound as an HTTP body (ws's own default is 100 MiB).
    maxPayload,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });

  // Only upgrades for our route are taken; others stay for any other upgrade handler.
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== o.path) return;
    // as v4: v0 for a client offering only its protocol, v1 for everyone else
    const target = v0wss && wantsV0(req) ? v0wss : versions.includes('v1') ? wss : undefined;
    target?.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  };
  o.httpServer.on('upgrade', onUpgrade);

  const serverOptions: Parameters<typeof useServer>[0] = {
    isProd: false,
    async onConnect(ctx) {
      const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
      const header = params.authorization ?? params.Authorization;
      const auth = o.auth.authenticate(header == null ? undefined : String(header));
      if (!auth.ok) {
        o.log?.(`websocket ${auth.status} rejected token (${auth.message})`);
        return false;
      }
      let extra: Record<string, unknown> | undefined;
      try {
        extra = o.pgSettings ? await o.pgSettings(ctx.extra.request as unknown as Parameters<NonNullable<HttpHooks['pgSettings']>>[0]) : undefined;
      } catch (e) {
        o.log?.(`websocket pgSettings hook failed: ${(e as Error).message}`);
        return false;
      }
      ctx.extra.auth = { claims: auth.claims, settings: o.auth.settings(auth.claims, extra) };
      // The socket's operations stop costing anything when it closes.
      const gone = goneSignal();
      ctx.extra.socket.once('close', () => gone.abort());
      ctx.extra.gone = gone;
      return true;
    },
    onSubscribe(ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] {
      const snapshot = live.current();
      // Parsed, limited and validated as over HTTP (and from the same cache).
      const prepared = o.documents.prepare(snapshot.generation, snapshot.schema, payload.query);
      if (prepared.errors.length) return prepared.errors;
      const { document } = prepared;
      const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const op = payload.operationName ? ops.find((d) => d.name?.value === payload.operationName) : ops.length === 1 ? ops[0] : undefined;
      // Limited with its variables before it runs or subscribes (runOperation checks again,
      // for HTTP's sake; the check is cheap).
      if (op && op.operation !== 'subscription' && options.websocketOperations !== 'all') {
        return [new GraphQLError(ONLY_SUBSCRIPTIONS, { nodes: [op] })];
      }
      if (op) {
        const coerced = getVariableValues(snapshot.schema, op.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) return coerced.errors;
        const over = checkRequest(snapshot.schema, document, op, coerced.coerced, o.documents.limits, prepared.pagedByVariables);
        if (over.length) return over;
      }
      const contextValue: OperationContext = {
        snapshot, payload, auth: ctx.extra.auth!,
        run: {
          pool, settings: ctx.extra.auth!.settings, signJwt, documents: o.documents,
          connection: { waitMs: options.poolWaitTimeout, signal: ctx.extra.gone },
          extendedErrors: options.extendedErrors, showErrorStack: options.showErrorStack,
        },
      };
      return {
        schema: snapshot.schema, document, contextValue,
        operationName: payload.operationName ?? undefined,
        variableValues: payload.variables ?? undefined,
      };
    },
    async execute(args) {
      const c = args.contextValue as OperationContext;
      try {
        const r = await runOperation(c.snapshot, {
          query: c.payload.query, variables: c.payload.variables ?? undefined, operationName: c.payload.operationName ?? undefined,
        }, c.run);
        o.log?.(`websocket ${r.operationType ?? 'request'} ${r.operationName ?? '(anonymous)'} ${r.errors ? `${r.errors} error(s)` : 'ok'}`);
        return JSON.parse(r.body);
      } catch (e) {
        return internalError(e);
      }
    },
    async subscribe(args) {
      const c = args.contextValue as OperationContext;
      const exp = typeof c.auth.claims.exp === 'number' ? c.auth.claims.exp : undefined;
      const variables = c.payload.variables ?? undefined;
      try {
        const r = liveQueries && isLiveOperation(args.document, args.operationName)
          ? await liveQueries.subscribe(args, { run: c.run, variables, exp })
          : await subscribeListen(args, { live, hub, run: c.run, variables, exp, shared });
        // Kept running across schema reloads while the document still fits the new schema.
        return 'push' in r ? guard.track(args.document, r) : r;
      } catch (e) {
        return internalError(e);
      }
    },
    // Our results carry errors as plain JSON already (graphql-ws would call toJSON on them and,
    // failing, close the socket with every other operation on it): send them as they are.
    onNext(ctx, _id, _payload, _args, result): FormattedExecutionResult | undefined {
      if (!result.errors) return undefined;
      const errors = result.errors.map((e) => (e instanceof GraphQLError ? e.toJSON() : e as GraphQLFormattedError));
      return { ...result, errors: handled(ctx.extra.request, errors) };
    },
    onError(ctx, _id, _payload, errors) {
      return o.handleErrors ? handled(ctx.extra.request, errors.map((e) => e.toJSON())) : undefined;
    },
  };
  const server = useServer(serverOptions, wss);
  // v4's v0 protocol (subscriptions-transport-ws) on the same core, for older clients
  const v0wss = versions.includes('v0') ? new WebSocketServer({
    noServer: true, maxPayload,
    handleProtocols: (protocols) => (protocols.has(V0_PROTOCOL) ? V0_PROTOCOL : false),
  }) : undefined;
  if (v0wss) serveV0(makeServer(serverOptions), v0wss, (errors) => errors.length === 1 && errors[0].message === ONLY_SUBSCRIPTIONS);

  const handled = (req: http.IncomingMessage, errors: GraphQLFormattedError[]): GraphQLFormattedError[] => (o.handleErrors
    ? applyHandleErrors(o.handleErrors, errors, req, undefined as unknown as http.ServerResponse) as GraphQLFormattedError[]
    : errors);

  const internalError = (e: unknown) => {
    o.log?.(`websocket internal error: ${(e as Error)?.message ?? String(e)}`);
    return { errors: [new GraphQLError('Internal server error.')] };
  };

  return {
    wss,
    liveQueries,
    async close() {
      o.httpServer.off('upgrade', onUpgrade);
      guard.close();
      await liveQueries?.close();
      await server.dispose();
      for (const client of wss.clients) client.terminate();
      for (const client of v0wss?.clients ?? []) client.terminate();
      v0wss?.close();
    },
  };
}
