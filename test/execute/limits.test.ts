// Bounds on one request: each limit refuses the document with an error naming the limit and its
// flag and runs no SQL (checked on a server with tight limits); the defaults admit the tutorial,
// GraphiQL's introspection, the benchmark workloads and large v4-style queries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { Client, Pool } from 'pg';
import WebSocket from 'ws';
import { defaultOptions } from '../../src/options';
import { createForumDb, createStatementLog, post, startOurs, type ForumDb, type OurServer } from '../e2e/setup';

let db: ForumDb;
let ours: OurServer;
/** Tight limits, so each boundary is cheap to reach. */
let tight: OurServer;
const TIGHT = { maxQueryCost: 100_000, maxPageSize: 1000, maxAliases: 100, maxRootFields: 50 };
const log = createStatementLog();

before(async () => {
  db = await createForumDb('limits');
  // A query function that takes as long as it is told to: for timeouts and disconnects.
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query(`create function forum_example.sleepy(seconds float) returns int language sql stable
    as 'select 1 from pg_sleep(seconds)'`);
  await admin.query('grant execute on function forum_example.sleepy(float) to forum_example_anonymous');
  await admin.end();
  ours = await startOurs(db.url, {}, { onStatement: log.onStatement });
  tight = await startOurs(db.url, TIGHT, { onStatement: log.onStatement });
});

after(async () => {
  await tight?.close();
  await ours?.close();
  await db?.drop();
});

/** Posts `query`, expects one limit error naming `limit` and `flag`, and no SQL run. */
async function refused(server: OurServer, query: string, limit: string, flag: string, variables?: Record<string, unknown>) {
  log.take();
  const r = await server.graphql(query, variables);
  assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
  const errors = (r.body as { errors: Array<{ message: string; extensions?: Record<string, unknown> }> }).errors;
  assert.equal(errors.length, 1);
  assert.equal(errors[0].extensions?.limit, limit);
  assert.equal(errors[0].extensions?.flag, flag);
  assert.ok(errors[0].message.includes(flag), errors[0].message);
  assert.deepEqual(log.take(), [], 'no SQL runs for a refused document');
}

async function answered(server: OurServer, query: string, variables?: Record<string, unknown>) {
  const r = await server.graphql(query, variables);
  assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
  assert.equal((r.body as { errors?: unknown }).errors, undefined, JSON.stringify(r.body).slice(0, 300));
  return (r.body as { data: any }).data;
}

/** `allPosts(first: 1) { nodes { personByAuthorId { postsByAuthorId(first: 1) { nodes { ... } } } } }`, `depth` levels deep. */
const chain = (depth: number) => {
  const steps = ['personByAuthorId', 'postsByAuthorId(first: 1)', 'nodes'];
  const leaf = ['id', 'totalCount', 'id'];
  const open: string[] = ['allPosts(first: 1)', 'nodes'];
  while (open.length < depth - 1) open.push(steps[(open.length - 2) % 3]);
  return `{ ${open.join(' { ')} { ${leaf[(open.length - 3 + 3) % 3]} ${' }'.repeat(open.length)} }`;
};

describe('each limit refuses over it, with its flag, before any SQL', () => {
  test('depth', async () => {
    await answered(ours, chain(20));
    await refused(ours, chain(21), 'maxQueryDepth', '--max-query-depth');
  });

  test('cost from first/last multipliers and node count', async () => {
    const fanOut = (n: string) => `{ allPeople(first: ${n}) { nodes { postsByAuthorId(first: ${n}) { nodes { id headline body topic createdAt } } } } }`;
    await answered(tight, fanOut('100')); // 2 + 100 x 2 + 10,000 x 5 = 50,202
    await refused(tight, fanOut('200'), 'maxQueryCost', '--max-query-cost');
    // connections without first count as 100 rows: three levels of them are over
    await refused(tight, '{ allPeople { nodes { postsByAuthorId { nodes { personByAuthorId { postsByAuthorId { nodes { id headline } } } } } } } }',
      'maxQueryCost', '--max-query-cost');
  });

  test('largest first/last, literal or from a variable', async () => {
    await answered(tight, '{ allPosts(first: 1000) { totalCount } }');
    await refused(tight, '{ allPosts(first: 1001) { totalCount } }', 'maxPageSize', '--max-page-size');
    await refused(tight, 'query($n: Int) { allPosts(last: $n) { totalCount } }', 'maxPageSize', '--max-page-size', { n: 5000 });
    // the same document is judged by each request's values
    const paged = 'query($n: Int) { allPeople(first: $n) { nodes { postsByAuthorId(first: $n) { nodes { id headline body topic createdAt } } } } }';
    await answered(tight, paged, { n: 100 });
    await refused(tight, paged, 'maxQueryCost', '--max-query-cost', { n: 200 });
    await answered(tight, paged, { n: 2 });
  });

  test('aliases', async () => {
    const aliased = (n: number) => `{ allPosts(first: 1) { nodes { ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } } }`;
    await answered(tight, aliased(100));
    await refused(tight, aliased(101), 'maxAliases', '--max-aliases');
    // an alias bomb through fragments counts every expansion
    await refused(tight, `{ allPosts(first: 1) { nodes { ...A ...A2 } } } fragment A on Post { ${Array.from({ length: 60 }, (_, i) => `a${i}: id`).join(' ')} }
      fragment A2 on Post { ${Array.from({ length: 60 }, (_, i) => `b${i}: id`).join(' ')} }`, 'maxAliases', '--max-aliases');
  });

  test('root fields', async () => {
    await answered(tight, `{ ${'__typename '.repeat(50)} }`);
    await refused(tight, `{ ${'__typename '.repeat(51)} }`, 'maxRootFields', '--max-root-fields');
  });

  test('document length (the body limit is larger than the document limit here)', async () => {
    const long = `{ __typename } # ${'x'.repeat(100_000)}`;
    await refused(ours, long, 'maxDocumentLength', '--max-document-length');
  });

  test('a fragment bomb stops at the first limit instead of expanding', async () => {
    const defs = ['fragment F0 on Query { __typename }'];
    for (let i = 1; i <= 40; i++) defs.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    await refused(tight, `{ ...F40 } ${defs.join(' ')}`, 'maxRootFields', '--max-root-fields');
    await refused(ours, `{ ...F40 } ${defs.join(' ')}`, 'maxRootFields', '--max-root-fields'); // the defaults too
    const nested = ['fragment P0 on Post { id }'];
    for (let i = 1; i <= 40; i++) nested.push(`fragment P${i} on Post { ...P${i - 1} ...P${i - 1} }`);
    await refused(tight, `{ allPosts(first: 1) { nodes { ...P40 } } } ${nested.join(' ')}`, 'maxQueryCost', '--max-query-cost');
  });
});

test('the defaults admit GraphiQL, the tutorial and the benchmark workloads', async () => {
  const schema = await answered(ours, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
  assert.ok(schema.__schema.types.length > 10);
  await answered(ours, getIntrospectionQuery());
  const workloads = [
    '{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { nodes { id headline topic author: personByAuthorId { id fullName } } } }',
    '{ allPeople(first: 10) { totalCount nodes { id fullName postsByAuthorId(first: 5) { totalCount nodes { headline summary } } } } }',
    '{ postById(id: 1) { id headline body personByAuthorId { firstName } } }',
    '{ searchPosts(search: "a", first: 5) { edges { cursor node { headline } } pageInfo { hasNextPage } } }',
    '{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { totalCount edges { cursor node { id headline summary personByAuthorId { fullName } } } pageInfo { hasNextPage endCursor } } }',
    '{ allPeople(first: 10) { nodes { id fullName postsByAuthorId(first: 10) { nodes { headline topic } } latestPost { headline } } } }',
    // the tutorial's unpaged reads
    '{ allPeople { nodes { fullName postsByAuthorId { nodes { headline body topic } } } } }',
  ];
  for (const q of workloads) await answered(ours, q);
  // what v4 answers without limits: three levels of unpaged connections, a large page, aliases
  await answered(ours, '{ allPeople { nodes { postsByAuthorId { nodes { personByAuthorId { postsByAuthorId { nodes { id headline } } } } } } } }');
  await answered(ours, '{ allPosts(first: 5000) { nodes { id headline } } }');
  await answered(ours, `{ allPosts(first: 1) { nodes { ${Array.from({ length: 150 }, (_, i) => `a${i}: headline`).join(' ')} } } }`);
  await answered(ours, `{ ${Array.from({ length: 60 }, (_, i) => `t${i}: __typename`).join(' ')} }`);
});

test('introspection can be disabled; __typename still answers', async () => {
  const closed = await startOurs(db.url, { disableIntrospection: true });
  try {
    const r = await closed.graphql('{ __schema { queryType { name } } }');
    assert.equal(r.status, 400);
    const error = (r.body as any).errors[0];
    assert.equal(error.extensions.flag, '--disable-introspection');
    const t = await closed.graphql('{ __type(name: "Post") { name } }');
    assert.equal((t.body as any).errors[0].extensions.limit, 'disableIntrospection');
    assert.deepEqual((await closed.graphql('{ __typename }')).body, { data: { __typename: 'Query' } });
  } finally {
    await closed.close();
  }
  // and is on by default
  await answered(ours, '{ __schema { queryType { name } } }');
});

test('a limit of 0 turns it off', async () => {
  const open = await startOurs(db.url, { maxPageSize: 0, maxRootFields: 0 });
  try {
    await answered(open, '{ allPosts(first: 5000) { totalCount } }');
    await answered(open, `{ ${'__typename '.repeat(60)} }`);
  } finally {
    await open.close();
  }
});

test('statement_timeout is set per request and its error names the flag', async () => {
  const quick = await startOurs(db.url, { statementTimeout: 100 });
  try {
    const r = await quick.graphql('{ sleepy(seconds: 30) }');
    const body = r.body as any;
    assert.equal(body.data?.sleepy ?? null, null);
    assert.match(body.errors[0].message, /--statement-timeout/);
    // the connection is healthy afterwards and the timeout does not outlive the transaction
    await answered(quick, '{ sleepy(seconds: 0) }');
    const c = await quick.server.pool.connect();
    try {
      assert.equal((await c.query('show statement_timeout')).rows[0].statement_timeout, defaultStatementTimeout);
    } finally {
      c.release();
    }
  } finally {
    await quick.close();
  }
});
const defaultStatementTimeout = '0';

test('a bounded wait for a pooled connection, then a 503 saying the server is busy', async () => {
  const pool = new Pool({ connectionString: db.url, max: 1 });
  const { createServer } = await import('../../src/server');
  const server = await createServer({
    ...defaultOptions, connection: db.url, schemas: ['forum_example'], defaultRole: 'forum_example_anonymous',
    port: 0, host: '127.0.0.1', poolWaitTimeout: 100,
  }, {}, { pool });
  try {
    const held = await pool.connect();
    // (without the bound the request would wait for this release and then answer 200)
    const release = setTimeout(() => held.release(), 10_000);
    const r = await post(`${server.url}/graphql`, JSON.stringify({ query: '{ allPosts { totalCount } }' }));
    clearTimeout(release);
    held.release();
    assert.equal(r.status, 503);
    assert.match((r.body as any).errors[0].message, /server is busy.*--pool-wait-timeout/);
    // the connection that came free late went back: the next request is served
    const ok = await post(`${server.url}/graphql`, JSON.stringify({ query: '{ allPosts { totalCount } }' }));
    assert.deepEqual(ok.body, { data: { allPosts: { totalCount: 5 } } });
  } finally {
    await server.close();
    await pool.end();
  }
});

describe('a client that disconnects has its statement cancelled; the pool stays healthy', () => {
  let admin: Client;
  before(async () => {
    admin = new Client({ connectionString: db.adminUrl });
    await admin.connect();
  });
  after(() => admin.end());
  const running = async () => (await admin.query(
    `select count(*)::int as n from pg_stat_activity where datname = $1 and state = 'active' and query like '%sleepy%' and pid <> pg_backend_pid()`,
    [db.name],
  )).rows[0].n as number;

  test('over HTTP', async () => {
    const abort = new AbortController();
    const request = fetch(ours.url, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: abort.signal,
      body: JSON.stringify({ query: '{ sleepy(seconds: 20) }' }),
    }).catch(() => 'aborted');
    await until('the statement runs', async () => (await running()) === 1);
    abort.abort();
    assert.equal(await request, 'aborted');
    await until('the statement is cancelled', async () => (await running()) === 0);
    await answered(ours, '{ allPosts { totalCount } }');
  });

  test('over WebSocket', async () => {
    const socketServer = await startOurs(db.url, { subscriptions: true, websocketOperations: 'all' });
    try {
      const client = createClient({ url: socketServer.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      client.subscribe({ query: '{ sleepy(seconds: 20) }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      await until('the statement runs', async () => (await running()) === 1);
      await client.dispose(); // closes the socket
      await until('the statement is cancelled', async () => (await running()) === 0);
      await answered(socketServer, '{ allPosts { totalCount } }');
    } finally {
      await socketServer.close();
    }
  });
});

/** Polls `check` until it holds; gives up (failing) well before the 20 s statement would end. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting until ${what}`);
}
