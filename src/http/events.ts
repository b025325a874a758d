// The change stream GraphiQL listens to in watch mode: server-sent events at
// `<graphqlRoute>/stream`, one `change` event per schema reload (or reload error).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveSchema } from '../schema/snapshot';

const heartbeatMs = 15_000;
const retryMs = 2_000;

export interface EventStream {
  /** The stream's path, `<graphqlRoute>/stream`, answered by `handle` on GET. */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Sends one event to every open stream. Errors carry no id (GraphiQL keeps its generation). */
  send(event: string, id: number | undefined, data: unknown): void;
  close(): void;
}

/** The GraphQL response header that points clients at the change stream. */
export function eventStreamHeaders(graphqlRoute: string): Record<string, string> {
  return { 'X-GraphQL-Event-Stream': `${graphqlRoute.replace(/\/$/, '')}/stream` };
}

export function createEventStream(live: LiveSchema, graphqlRoute: string): EventStream {
  const clients = new Set<ServerResponse>();
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(`: heartbeat ${Date.now()}\n\n`);
  }, heartbeatMs);
  heartbeat.unref();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold events back.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const generation = live.current().generation;
    res.write(`retry: ${retryMs}\n\n`);
    res.write(`event: open\nid: ${generation}\ndata: ${JSON.stringify({ generation })}\n\n`);
    clients.add(res);
    const drop = (): void => {
      clients.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
  };

  return {
    path: `${graphqlRoute.replace(/\/$/, '')}/stream`,
    handle,
    send(event, id, data) {
      const frame = `event: ${event}\nid:${id === undefined ? '' : ` ${id}`}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of clients) res.write(frame);
    },
    close() {
      clearInterval(heartbeat);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
