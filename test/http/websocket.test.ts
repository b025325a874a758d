import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client as WsClient, type ExecutionResult } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import WebSocket from 'ws';
import { defaultOptions } from '../../src/options';
import { createServer, type RunningServer } from '../../src/server';
import { makeSnapshot } from '../../src/schema/snapshot';
import { introspect } from '../../src/introspection/introspect';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';

const root = resolve(__dirname, '..', '..');
const SECRET = 'keyboard_kitten';
const dbName = uniqueName('subs');
let adminDbUrl: string;
let server: RunningServer;
let wsUrl: string;
// What the server sends; a test that counts statements sets it for its own duration.
let onStatement: (text: string) => void = () => undefined;
let notifier: Client;
const clients: WsClient[] = [];

function client(authorization?: string, onClose?: (code: number, reason: string) => void): WsClient {
  const c = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: authorization ? { authorization } : undefined,
    on: { closed: (e) => onClose?.((e as { code: number }).code, String((e as { reason: unknown }).reason)) },
  });
  clients.push(c);
  return c;
}

function token(claims: Record<string, unknown>): string {
  return `Bearer ${jwt.sign({ aud: 'postgraphile', ...claims }, SECRET)}`;
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A subscription whose results are collected; `next(n)` waits for the n-th result. */
function collect(c: WsClient, query: string, variables?: Record<string, unknown>) {
  const results: ExecutionResult[] = [];
  let completed = false;
  let error: unknown;
  const dispose = c.subscribe({ query, variables }, {
    next: (r) => { results.push(r as ExecutionResult); },
    error: (e) => { error = e; },
    complete: () => { completed = true; },
  });
  return {
    results, dispose,
    get completed() { return completed; },
    get error() { return error; },
    async nth(n: number) {
      await waitFor(`result #${n}`, () => results.length >= n || error !== undefined);
      if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
      return results[n - 1];
    },
  };
}

async function listening(channel: string): Promise<void> {
  await waitFor(`LISTEN ${channel}`, () => server.hub!.channels.has(channel));
  await server.hub!.ready();
}

describe('graphql-ws subscriptions server', () => {
  before(async () => {
    adminDbUrl = await createDatabase(dbName, [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')]);
    server = await createServer({
      ...defaultOptions,
      connection: connectionAs(adminDbUrl, 'forum_example_postgraphile', 'xyz'),
      schemas: ['forum_example'],
      defaultRole: 'forum_example_anonymous',
      jwtSecret: SECRET,
      jwtTokenIdentifier: 'forum_example.jwt_token',
      simpleSubscriptions: true,
      websocketOperations: 'all',
      port: 0,
      host: '127.0.0.1',
    }, {
      // the integrator's settings hook sees the WebSocket upgrade request, as it sees HTTP ones
      pgSettings: (req) => ({ 'myapp.tenant': new URL(req.url ?? '/', 'http://x').searchParams.get('tenant') ?? 'none' }),
    }, { onStatement: (text) => onStatement(text) });
    wsUrl = `${server.url.replace('http', 'ws')}/graphql`;
    notifier = new Client({ connectionString: adminDbUrl });
    await notifier.connect();
    await notifier.query(`create function forum_example.current_tenant() returns text language sql stable
      as $$ select current_setting('myapp.tenant', true) $$;
      grant execute on function forum_example.current_tenant() to forum_example_anonymous`);
    // the function was added after start (no watch mode here): load it into the schema
    const current = server.live.current();
    server.live.swap(makeSnapshot(await introspect(server.pool, ['forum_example']), current.options, current.generation + 1));
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await notifier?.end();
    await server?.close();
    await dropDatabase(dbName);
  });

  it('applies the pgSettings hook to socket operations', async () => {
    const c = createClient({ url: `${wsUrl}?tenant=acme`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(c);
    const r = await collect(c, '{ currentTenant }').nth(1);
    assert.deepEqual(r, { data: { currentTenant: 'acme' } });
  });

  it('runs a query over the socket', async () => {
    const s = collect(client(), '{ postById(id: 1) { headline } }');
    const r = await s.nth(1);
    assert.deepEqual(r, { data: { postById: { headline: 'Hello, world!' } } });
    await waitFor('completion', () => s.completed);
  });

  it('listen delivers NOTIFY events with the related node', async () => {
    const s = collect(client(), `subscription { listen(topic: "hello") {
      relatedNodeId relatedNode { __typename ... on Post { headline } } } }`);
    await listening('postgraphile:hello');
    await notifier.query(`select pg_notify('postgraphile:hello', '{"__node__": ["posts", 1]}')`);
    const r = await s.nth(1);
    assert.deepEqual(r, {
      data: { listen: {
        relatedNodeId: Buffer.from('["posts",1]').toString('base64'),
        relatedNode: { __typename: 'Post', headline: 'Hello, world!' },
      } },
    });
    // A payload that names no node: both related fields are null.
    await notifier.query(`select pg_notify('postgraphile:hello', 'plain')`);
    assert.deepEqual(await s.nth(2), { data: { listen: { relatedNodeId: null, relatedNode: null } } });
    s.dispose();
  });

  it('identical subscribers share one query per event', async () => {
    let statements = 0;
    onStatement = (text) => {
      if (/node|json_build_object/.test(text)) statements++;
    };
    try {
      const subs = Array.from({ length: 5 }, () => collect(client(), `subscription { listen(topic: "shared") {
        relatedNode { ... on Post { headline } } } }`));
      await listening('postgraphile:shared');
      // let all five finish subscribing before the event
      await new Promise((r) => setTimeout(r, 100));
      await notifier.query(`select pg_notify('postgraphile:shared', '{"__node__": ["posts", 2]}')`);
      for (const sub of subs) {
        assert.deepEqual(await sub.nth(1), { data: { listen: { relatedNode: { headline: 'Row Level Security' } } } });
        sub.dispose();
      }
      assert.equal(statements, 1, 'five subscribers, one event: one query');
    } finally {
      onStatement = () => undefined;
    }
  });

  it('initialEvent fires once at the start, before any NOTIFY', async () => {
    const s = collect(client(), 'subscription($t: String!) { l: listen(topic: $t, initialEvent: true) { __typename relatedNodeId query { postById(id: 2) { id } } } }', { t: 'initial' });
    assert.deepEqual(await s.nth(1), { data: { l: { __typename: 'ListenPayload', relatedNodeId: null, query: { postById: { id: 2 } } } } });
    s.dispose();
  });

  it('resolves each event with the subscriber\'s own claims', async () => {
    const c = client(token({ role: 'forum_example_person', person_id: 1 }));
    const q = 'subscription { listen(topic: "who", initialEvent: true) { query { currentPerson { id } } } }';
    const anon = collect(client(), q);
    const s = collect(c, q);
    // The initial event also proves both subscriptions are LISTENing.
    assert.deepEqual(await s.nth(1), { data: { listen: { query: { currentPerson: { id: 1 } } } } });
    assert.deepEqual(await anon.nth(1), { data: { listen: { query: { currentPerson: null } } } });
    await notifier.query(`select pg_notify('postgraphile:who', '{}')`);
    assert.deepEqual(await s.nth(2), { data: { listen: { query: { currentPerson: { id: 1 } } } } });
    assert.deepEqual(await anon.nth(2), { data: { listen: { query: { currentPerson: null } } } });
    s.dispose();
    anon.dispose();
  });

  it('rejects a bad token in connection_init with 4403', async () => {
    let closed: { code: number; reason: string } | undefined;
    const s = collect(client('Bearer not.a.token', (code, reason) => { closed = { code, reason }; }), '{ __typename }');
    await waitFor('socket close', () => closed !== undefined);
    assert.equal(closed!.code, 4403);
    assert.equal(closed!.reason, 'Forbidden');
    assert.equal(s.results.length, 0);
  });

  it('ends a subscription with an error when the token expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const s = collect(client(token({ role: 'forum_example_person', person_id: 1, exp })), 'subscription { listen(topic: "expiry") { relatedNodeId } }');
    const r = await s.nth(1);
    assert.equal(r.errors?.[0]?.message, 'jwt expired');
    await waitFor('completion', () => s.completed);
    await waitFor('UNLISTEN', () => !server.hub!.channels.has('postgraphile:expiry'));
  });

  it('unsubscribing releases the LISTEN', async () => {
    const s = collect(client(), 'subscription { listen(topic: "bye") { relatedNodeId } }');
    await listening('postgraphile:bye');
    assert.ok((await server.hub!.debugListeningChannels()).includes('postgraphile:bye'));
    s.dispose();
    await waitFor('hub channel released', () => !server.hub!.channels.has('postgraphile:bye'));
    await server.hub!.ready();
    assert.ok(!(await server.hub!.debugListeningChannels()).includes('postgraphile:bye'));
  });
});
