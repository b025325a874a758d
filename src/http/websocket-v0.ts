// v4's "v0" WebSocket protocol (subscriptions-transport-ws, subprotocol `graphql-ws`), still
// spoken by older Apollo clients. Each v0 socket is run by the same graphql-ws server core as v1
// sockets (so authentication, limits, pgSettings and handleErrors are the same code), with the
// messages translated both ways and v0's own conventions kept: `ka` keep-alives, validation
// errors as `data` + `complete`, `connection_error` for a refused connection.
import type http from 'node:http';
import type { Server } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

export const V0_PROTOCOL = 'graphql-ws';
const V1_PROTOCOL = 'graphql-transport-ws';
/** v4's keep-alive interval for v0 sockets. */
const KEEP_ALIVE_MS = 15_000;

type Message = { type?: unknown; id?: unknown; payload?: unknown };

/**
 * Serves v0 clients on `wss` through `core`. `isOperationError` says which of the errors the
 * core refuses an operation with are v0 `error` messages (v4 throws those from its executor)
 * rather than a result with errors.
 */
export function serveV0<E extends { socket: WebSocket; request: http.IncomingMessage }>(
  core: Server<E>, wss: WebSocketServer, isOperationError: (errors: Array<{ message?: unknown }>) => boolean,
): void {
  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const raw = (m: Record<string, unknown>) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    let keepAlive: NodeJS.Timeout | undefined;
    let initialised = false;
    const active = new Set<string>();
    let feed: ((data: string) => Promise<void>) | undefined;
    const toCore = (m: Record<string, unknown>) => feed!(JSON.stringify(m));

    const closed = core.opened({
      protocol: V1_PROTOCOL,
      // the core's v1 messages, as v0 messages
      send: async (data) => {
        const m = JSON.parse(data) as { type: string; id?: string; payload?: unknown };
        if (m.type === 'connection_ack') {
          raw({ type: 'connection_ack' });
          raw({ type: 'ka' });
          keepAlive = setInterval(() => raw({ type: 'ka' }), KEEP_ALIVE_MS);
        } else if (m.type === 'next') {
          raw({ type: 'data', id: m.id, payload: m.payload });
        } else if (m.type === 'complete') {
          active.delete(m.id!);
          raw({ type: 'complete', id: m.id, payload: null });
        } else if (m.type === 'error') {
          active.delete(m.id!);
          const errors = m.payload as Array<{ message?: unknown }>;
          if (isOperationError(errors)) {
            raw({ type: 'error', id: m.id, payload: { message: errors[0].message } });
          } else {
            raw({ type: 'data', id: m.id, payload: { errors } });
            raw({ type: 'complete', id: m.id, payload: null });
          }
        }
      },
      close: (code, reason) => {
        // A refused connection_init (4403): v0 says so in a message, then closes.
        if (code === 4403) {
          raw({ type: 'connection_error', payload: { message: 'Prohibited connection!' } });
          setTimeout(() => socket.close(1011), 10);
        } else {
          socket.close(code, reason);
        }
      },
      onMessage: (cb) => {
        feed = cb;
      },
    }, { socket, request } as E);

    // One message at a time, in order: a `start` sent right after `connection_init` must find it done.
    let queue = Promise.resolve();
    socket.on('message', (data) => {
      // Whatever a message does wrong, the queue must go on (and never reject unhandled).
      queue = queue.then(() => onMessage(data)).catch(() => socket.close(1011, 'Internal server error'));
    });
    const onMessage = async (data: unknown) => {
      let m: Message;
      try {
        const parsed: unknown = JSON.parse(String(data));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('A message must be a JSON object.');
        m = parsed as Message;
      } catch (e) {
        raw({ type: 'connection_error', payload: { message: (e as Error).message } });
        return;
      }
      const id = typeof m.id === 'string' ? m.id : undefined;
      try {
        if (m.type === 'connection_init') {
          if (m.payload != null && (typeof m.payload !== 'object' || Array.isArray(m.payload))) {
            raw({ type: 'connection_error', payload: { message: 'The connection_init payload must be an object.' } });
            return;
          }
          initialised = true;
          await toCore({ type: 'connection_init', payload: m.payload ?? undefined });
        } else if (m.type === 'connection_terminate') {
          socket.close();
        } else if (m.type === 'start' && id !== undefined && startProblem(m.payload)) {
          // One bad operation fails alone, as v0 fails it; the socket and its others go on.
          raw({ type: 'error', id, payload: { message: startProblem(m.payload) } });
        } else if (m.type === 'start' && id !== undefined) {
          // v0 lets a client start without connection_init
          if (!initialised) {
            initialised = true;
            await toCore({ type: 'connection_init' });
          }
          // the same id again replaces the running operation, as in v0
          if (active.has(id)) await toCore({ type: 'complete', id });
          active.add(id);
          // not awaited: the core resolves a subscribe only when the operation has ended
          toCore({ type: 'subscribe', id, payload: m.payload }).catch(() => socket.close(1011, 'Internal server error'));
        } else if (m.type === 'stop' && id !== undefined) {
          if (active.delete(id)) {
            await toCore({ type: 'complete', id });
            raw({ type: 'complete', id, payload: null });
          }
        } else {
          raw({ type: 'error', id, payload: { message: 'Invalid message type!' } });
        }
      } catch {
        socket.close(1011, 'Internal server error');
      }
    };
    socket.once('close', (code, reason) => {
      if (keepAlive) clearInterval(keepAlive);
      void closed(code, String(reason));
    });
  });
}

/** What is wrong with a `start` payload (`{ query, variables?, operationName? }`), if anything. */
function startProblem(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return 'The start payload must be an object with a query.';
  const p = payload as Record<string, unknown>;
  if (typeof p.query !== 'string') return 'The start payload\'s query must be a string.';
  if (p.variables != null && (typeof p.variables !== 'object' || Array.isArray(p.variables))) return 'The start payload\'s variables must be an object.';
  if (p.operationName != null && typeof p.operationName !== 'string') return 'The start payload\'s operationName must be a string.';
  return undefined;
}

/** v4's choice of server for an upgrade: v0 when the client offers `graphql-ws` but not v1's protocol. */
export function wantsV0(req: http.IncomingMessage): boolean {
  const header = req.headers['sec-websocket-protocol'];
  const protocols = (Array.isArray(header) ? header : (header ?? '').split(',')).map((p) => p.trim());
  return protocols.includes(V0_PROTOCOL) && !protocols.includes(V1_PROTOCOL);
}
