// The change stream GraphiQL listens to in watch mode: server-sent events at
// `<graphqlRoute>/stream`, one `change` event per schema reload (or reload error).
import express, { type Request, type Response } from 'express';
import type { LiveSchema } from '../schema/snapshot';

const heartbeatMs = 15_000;
const retryMs = 2_000;

export interface EventStream {
  router: express.Router;
  /** Sends one event to every open stream. Errors carry no id (GraphiQL keeps its generation). */
  send(event: string, id: number | undefined, data: unknown): void;
  close(): void;
}

/** The GraphQL response header that points clients at the change stream. */
export function eventStreamHeaders(graphqlRoute: string): Record<string, string> {
  return { 'X-GraphQL-Event-Stream': `${graphqlRoute.replace(/\/$/, '')}/stream` };
}

export function createEventStream(live: LiveSchema, graphqlRoute: string): EventStream {
  const clients = new Set<Response>();
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(`: heartbeat ${Date.now()}\n\n`);
  }, heartbeatMs);
  heartbeat.unref();

  const router = express.Router();
  router.get(`${graphqlRoute.replace(/\/$/, '')}/stream`, (req: Request, res: Response) => {
    res.status(200).set({
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
  });

  return {
    router,
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
