// Sends generated documents to a running server over HTTP and WebSocket and counts what must
// never happen: crashes (an uncaught exception, which would end the server process, or the
// server no longer answering), 5xx responses (and those without a GraphQL error body),
// unhandled rejections, sockets closed by an operation's error, and requests never answered.
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createGenerator, type FuzzRequest } from './generate';

export interface FuzzOptions {
  /** The GraphQL endpoint, http://host:port/graphql. */
  url: string;
  seed: number;
  count: number;
  /** Requests in flight at once per transport. */
  concurrency?: number;
  transports?: Array<'http' | 'ws'>;
  /** Milliseconds before a request counts as never answered. */
  timeoutMs?: number;
}

export interface FuzzCounts {
  documents: number;
  byKind: Record<string, number>;
  http: {
    sent: number; status5xx: number; status5xxWithoutErrors: number; notJson: number; unanswered: number;
    /** How the answers went: data without errors, errors (some refused by a limit). */
    data: number; errors: number; limited: number;
  };
  ws: { sent: number; closesByOperations: number; unanswered: number };
  crashes: number;
  unhandledRejections: number;
  /** First few problems, each with the seed and document index that reproduce it. */
  examples: string[];
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzCounts> {
  const counts: FuzzCounts = {
    documents: 0, byKind: {},
    http: { sent: 0, status5xx: 0, status5xxWithoutErrors: 0, notJson: 0, unanswered: 0, data: 0, errors: 0, limited: 0 },
    ws: { sent: 0, closesByOperations: 0, unanswered: 0 },
    crashes: 0, unhandledRejections: 0, examples: [],
  };
  const note = (what: string, i: number, r: FuzzRequest) => {
    if (counts.examples.length < 10) counts.examples.push(`${what} (seed ${o.seed}, document ${i}): ${r.query.slice(0, 300)}`);
  };
  const onRejection = (e: unknown) => {
    counts.unhandledRejections++;
    if (counts.examples.length < 10) counts.examples.push(`unhandled rejection: ${String((e as Error)?.stack ?? e).slice(0, 300)}`);
  };
  const onException = (e: unknown) => {
    counts.crashes++;
    if (counts.examples.length < 10) counts.examples.push(`uncaught exception: ${String((e as Error)?.stack ?? e).slice(0, 300)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  try {
    const intro = await postJson(o.url, { query: getIntrospectionQuery() }, 30_000);
    const schema = buildClientSchema((intro.body as { data: IntrospectionQuery }).data);
    const next = createGenerator(schema, o.seed);
    const docs = Array.from({ length: o.count }, () => next());
    counts.documents = docs.length;
    for (const d of docs) counts.byKind[d.kind] = (counts.byKind[d.kind] ?? 0) + 1;
    const transports = o.transports ?? ['http', 'ws'];
    const concurrency = o.concurrency ?? 4;
    const timeoutMs = o.timeoutMs ?? 30_000;

    if (transports.includes('http')) {
      await inParallel(docs, concurrency, async (r, i) => {
        counts.http.sent++;
        let res: { status: number; body: unknown };
        try {
          res = await postJson(o.url, { query: r.query, variables: r.variables }, timeoutMs);
        } catch {
          counts.http.unanswered++;
          note('HTTP request not answered', i, r);
          return;
        }
        const errors = (res.body as { errors?: Array<{ extensions?: { code?: string } }> } | null)?.errors;
        const hasErrors = Array.isArray(errors);
        if (!hasErrors) counts.http.data++;
        else {
          counts.http.errors++;
          if (errors.some((e) => e?.extensions?.code === 'LIMIT_EXCEEDED')) counts.http.limited++;
        }
        if (typeof res.body !== 'object') {
          counts.http.notJson++;
          note(`HTTP ${res.status} not JSON`, i, r);
        }
        if (res.status >= 500) {
          counts.http.status5xx++;
          if (!hasErrors) counts.http.status5xxWithoutErrors++;
          note(`HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`, i, r);
        }
      });
    }

    if (transports.includes('ws')) {
      const wsUrl = o.url.replace(/^http/, 'ws');
      // One client per lane; a close that is not ours is counted, and the client reconnects lazily.
      const clients: WsClient[] = [];
      let disposing = false;
      const lastDoc: Array<{ i: number; r: FuzzRequest } | undefined> = [];
      for (let k = 0; k < concurrency; k++) {
        const lane = k;
        clients.push(createClient({
          url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, lazyCloseTimeout: 60_000,
          on: {
            closed: (e) => {
              const code = (e as { code?: number }).code;
              if (code === 1000 || disposing) return;
              counts.ws.closesByOperations++;
              const last = lastDoc[lane];
              if (last) note(`WebSocket closed ${code} ${(e as { reason?: string }).reason ?? ''}`, last.i, last.r);
            },
          },
        }));
      }
      await inParallel(docs, concurrency, async (r, i, lane) => {
        // Subscriptions stay open by design; the fuzzer sends queries and mutations here.
        if (/^\s*subscription\b/.test(r.query)) return;
        counts.ws.sent++;
        lastDoc[lane] = { i, r };
        const answered = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          const done = () => { clearTimeout(timer); resolve(true); };
          clients[lane].subscribe({ query: r.query, variables: r.variables }, { next: () => undefined, error: done, complete: done });
        });
        if (!answered) {
          counts.ws.unanswered++;
          note('WebSocket operation not answered', i, r);
        }
      });
      disposing = true;
      await Promise.all(clients.map((c) => c.dispose()));
    }

    // The server must still answer an ordinary request.
    try {
      const alive = await postJson(o.url, { query: '{ __typename }' }, timeoutMs);
      if (alive.status !== 200) counts.crashes++;
    } catch {
      counts.crashes++;
      counts.examples.push('the server no longer answers');
    }
  } finally {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
  return counts;
}

async function inParallel<T>(items: T[], lanes: number, fn: (item: T, index: number, lane: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i, lane);
    }
  }));
}

async function postJson(url: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}
