// Hostile input over HTTP and WebSocket: every case gets a GraphQL answer (data or errors, never a
// 5xx or a dropped socket), nothing is written, and the limits hold on both transports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createForumDb, post, startOurs, type ForumDb, type OurServer } from '../e2e/setup';
import { hostileCases } from './hostile-cases';

let db: ForumDb;
let ours: OurServer;
let wsUrl: string;

before(async () => {
  db = await createForumDb('hostile');
  ours = await startOurs(db.url, { simpleSubscriptions: true, websocketOperations: 'all' });
  wsUrl = ours.url.replace(/^http/, 'ws');
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

async function unchanged(): Promise<void> {
  const r = await ours.graphql('{ allPosts { totalCount } allPeople { totalCount } }');
  assert.deepEqual(r.body, { data: { allPosts: { totalCount: 5 }, allPeople: { totalCount: 3 } } });
}

function isGraphQLAnswer(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as { errors?: unknown; data?: unknown };
  return (Array.isArray(b.errors) && b.errors.length > 0) || (b.data !== undefined && b.data !== null);
}

test('over HTTP every hostile case gets a GraphQL answer below 500, and nothing changes', async () => {
  for (const c of hostileCases()) {
    const r = await post(ours.url, JSON.stringify({ query: c.query, variables: c.variables }));
    assert.ok(r.status < 500, `${c.what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    assert.ok(isGraphQLAnswer(r.body), `${c.what}: ${JSON.stringify(r.body).slice(0, 200)}`);
  }
  await unchanged();
});

test('over HTTP, transport garbage gets JSON errors', async () => {
  const raw: Array<[string, string, Record<string, string>]> = [
    ['form content type', 'query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart', '--x\r\n\r\n{}\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['no content type', '{"query":"{ __typename }"}', { 'content-type': '' }],
    ['JSON with a BOM', '\ufeff{"query":"{ __typename }"}', {}],
    ['deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`, {}],
    ['NUL bytes', '{"query":"{ __typename }\u0000"}', {}],
    ['duplicate keys', '{"query":"{ __typename }","query":"{ nope }"}', {}],
    ['number overflow', '{"query":"{ __typename }","variables":{"a":1e999999}}', {}],
    ['body over the limit', JSON.stringify({ query: `{ __typename } #${'x'.repeat(110_000)}` }), {}],
  ];
  for (const [what, body, headers] of raw) {
    const r = await post(ours.url, body, headers);
    // an array is a batch, which v4 refuses with 501 unless --enable-query-batching
    assert.ok(r.status < 500 || (what === 'deeply nested JSON' && r.status === 501), `${what}: HTTP ${r.status}`);
    assert.equal(typeof r.body, 'object', `${what}: not JSON: ${String(r.body).slice(0, 100)}`);
  }
  await unchanged();
});

type Outcome = { result?: unknown; error?: unknown };

function wsClient(closes: number[]): WsClient {
  return createClient({
    url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true,
    on: { closed: (e) => closes.push((e as { code: number }).code) },
  });
}

function run(client: WsClient, query: string, variables?: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolve) => {
    let result: unknown;
    client.subscribe({ query, variables }, {
      next: (r) => { result = r; },
      error: (error) => resolve({ error }),
      complete: () => resolve({ result }),
    });
  });
}

describe('over WebSocket', () => {
  test('every hostile case gets its answer and the socket stays open', async () => {
    const closes: number[] = [];
    const client = wsClient(closes);
    // one long-lived subscription on the same socket must survive everything else
    let notified = 0;
    const dispose = client.subscribe({ query: 'subscription { listen(topic: "hostile") { query { __typename } } }' }, {
      next: () => { notified++; }, error: () => undefined, complete: () => undefined,
    });
    try {
      for (const c of hostileCases()) {
        const out = await run(client, c.query, c.variables);
        assert.deepEqual(closes, [], `${c.what}: the socket closed (${closes.join()})`);
        const answered = out.error !== undefined || isGraphQLAnswer(out.result);
        assert.ok(answered, `${c.what}: ${JSON.stringify(out).slice(0, 200)}`);
      }
      assert.deepEqual(closes, []);
    } finally {
      dispose();
      await client.dispose();
    }
    assert.equal(notified, 0);
    await unchanged();
  });

  test('the limits hold, with their flag named, and the socket stays open', async () => {
    const closes: number[] = [];
    const client = wsClient(closes);
    try {
      const deep = await run(client, `{ ${'allPosts(first: 1) { nodes { personByAuthorId { postsByAuthorId(first: 1) { nodes { '.repeat(5)}id${' } } } } }'.repeat(5)} }`);
      assert.match(JSON.stringify(deep.error), /--max-query-depth/);
      const page = await run(client, 'query($n: Int) { allPosts(first: $n) { totalCount } }', { n: 100_001 });
      assert.match(JSON.stringify(page.error ?? page.result), /--max-page-size/);
      // a subscription is checked before it subscribes
      const costly = await run(client, `subscription { listen(topic: "t") { query { allPeople { nodes { postsByAuthorId { nodes {
        personByAuthorId { postsByAuthorId { nodes { personByAuthorId { postsByAuthorId { nodes { id headline body } } } } } } } } } } } } }`);
      assert.match(JSON.stringify(costly.error), /--max-query-cost/);
      const long = await run(client, `{ __typename } # ${'x'.repeat(100_001)}`.slice(0, 100_020));
      assert.match(JSON.stringify(long.error), /--max-document-length/);
      const ok = await run(client, '{ allPosts(first: 1) { totalCount } }');
      assert.deepEqual(ok.result, { data: { allPosts: { totalCount: 5 } } });
      assert.deepEqual(closes, []);
    } finally {
      await client.dispose();
    }
  });

  test('a message over the body size limit closes that socket with 1009 (not 100 MiB as before)', async () => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
    socket.send(JSON.stringify({ type: 'connection_init' }));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ __typename } #${'x'.repeat(200_000)}` } }));
    assert.equal(await closed, 1009);
    // the server still answers
    const r = await ours.graphql('{ __typename }');
    assert.deepEqual(r.body, { data: { __typename: 'Query' } });
  });
});
