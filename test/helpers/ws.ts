// One GraphQL operation over graphql-ws on a socket of its own: its last result, or its error.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export function wsRun(url: string, query: string): Promise<unknown> {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  return new Promise<unknown>((resolve) => {
    let result: unknown;
    client.subscribe({ query }, {
      next: (r) => { result = r; },
      error: (error) => resolve({ error: error instanceof Error ? error.message : error }),
      complete: () => resolve(result),
    });
  }).finally(() => client.dispose());
}
