// v4's postgraphile() / createPostGraphileSchema / withPostGraphileContext options beyond the
// basics, through the library API and real HTTP: routes, batching, handleErrors,
// jwtVerifyOptions, retryOnInitFail, readCache/writeCache; and every option v4's types document
// is either taken or refused by name.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import express from 'express';
import { GraphQLError } from 'graphql';
import jwt from 'jsonwebtoken';
import { Client, Pool } from 'pg';
import { createPostGraphileSchema, postgraphile, withPostGraphileContext, type PostGraphileMiddleware } from '../../src/index';
import { middlewareOptions } from '../../src/library';
import { createServer } from '../../src/server';
import { parseArgs } from '../../src/cli/parse';
import { connectionAs, uniqueName } from '../helpers/db';
import { createForumDb, JWT_SECRET, post, type ForumDb } from '../e2e/setup';
import { wsRun } from '../helpers/ws';

let db: ForumDb;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4-options-'));

before(async () => {
  db = await createForumDb('v4_options');
});

after(async () => {
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(mw: PostGraphileMiddleware): Promise<{ base: string; close(): Promise<void> }> {
  const app = express();
  app.use(mw);
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      await mw.release();
      await new Promise((r) => server.close(r));
    },
  };
}

const token = (claims: Record<string, unknown>) => jwt.sign({ aud: 'postgraphile', role: 'forum_example_person', person_id: 1, ...claims }, JWT_SECRET);

test('postgraphile(): graphqlRoute, graphiqlRoute, enableQueryBatching, jwtVerifyOptions and handleErrors', async () => {
  const seen: GraphQLError[] = [];
  const mw = postgraphile(db.url, 'forum_example', {
    pgDefaultRole: 'forum_example_anonymous', jwtSecret: JWT_SECRET, disableQueryLog: true,
    graphqlRoute: '/api/gql', graphiqlRoute: '/api/ide', enableQueryBatching: true,
    jwtVerifyOptions: { issuer: 'good-iss', maxAge: '1000y' },
    // rewrites validation errors; any other error is returned as given
    handleErrors: (errors) => errors.map((e) => {
      seen.push(e);
      return e.message.startsWith('Cannot query') ? { message: `handled: ${e.message}` } : e;
    }),
  });
  const s = await serve(mw);
  try {
    const gql = `${s.base}/api/gql`;
    const batch = await post(gql, JSON.stringify([{ query: '{ nope }' }, { query: '{ allPeople(first: 1) { totalCount } }' }]));
    assert.equal(batch.status, 200);
    assert.equal(batch.body.length, 2);
    assert.deepEqual(batch.body[0], { errors: [{ message: 'handled: Cannot query field "nope" on type "Query". Did you mean "node"?' }], statusCode: 400 });
    assert.equal(typeof batch.body[1].data.allPeople.totalCount, 'number');
    assert.ok(seen[0] instanceof GraphQLError);
    assert.deepEqual(seen[0].locations, [{ line: 1, column: 3 }]);

    const wrongIssuer = await post(gql, JSON.stringify({ query: '{ currentPerson { id } }' }), { authorization: `Bearer ${token({ iss: 'evil' })}` });
    assert.deepEqual(wrongIssuer, { status: 403, body: { errors: [{ message: 'jwt issuer invalid. expected: good-iss' }] } });
    const ok = await post(gql, JSON.stringify({ query: '{ currentPerson { id } }' }), { authorization: `Bearer ${token({ iss: 'good-iss' })}` });
    assert.deepEqual(ok, { status: 200, body: { data: { currentPerson: { id: 1 } } } });
    // an error the hook passes on unchanged is sent exactly as without the hook
    const sqlError = await post(gql, JSON.stringify({ query: '{ allPosts(after: "!!!") { totalCount } }' }));
    assert.deepEqual(Object.keys(sqlError.body.errors[0]).sort(), ['locations', 'message', 'path']);
    // the database's error is the handler's originalError, as in v4 (handlers map its code)
    const denied = await post(gql, JSON.stringify({ query: 'mutation { createPost(input: { post: { headline: "x", authorId: 1 } }) { clientMutationId } }' }));
    assert.match(denied.body.errors[0].message, /permission denied for table post/);
    assert.equal((seen.at(-1)?.originalError as { code?: string } | undefined)?.code, '42501');
    assert.deepEqual(seen.at(-1)?.path, ['createPost']);

    // request errors (malformed JSON, methods) pass through the hook too
    const malformed = await post(gql, '{ nope', {});
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body, { errors: [{ message: 'The request body is not valid JSON.' }] });
    assert.equal(seen.at(-1)?.message, 'The request body is not valid JSON.');
    const put = await fetch(gql, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(seen.at(-1)?.message, 'PUT is not supported here: send GraphQL requests with POST, or queries with GET.');

    const ide = await fetch(`${s.base}/api/ide`);
    assert.equal(ide.status, 200);
    assert.match(ide.headers.get('content-type') ?? '', /text\/html/);
    assert.equal((await fetch(`${s.base}/graphql`, { method: 'POST' })).status, 404);
  } finally {
    await s.close();
  }
});

test('postgraphile() with subscriptions serves WebSockets on the server of its first request, as v4', async () => {
  const mw = postgraphile(db.url, 'forum_example', {
    disableQueryLog: true, simpleSubscriptions: true, websocketOperations: 'all', graphqlRoute: '/api/gql',
  });
  const s = await serve(mw);
  try {
    await mw.ready();
    const before = await wsRun(`${s.base}/api/gql`, '{ __typename }') as { error?: unknown };
    assert.ok(before.error, 'no socket before the first request');
    assert.equal((await post(`${s.base}/api/gql`, '{"query":"{ __typename }"}')).status, 200);
    assert.deepEqual(await wsRun(`${s.base}/api/gql`, '{ personById(id: 1) { id } }'), { data: { personById: { id: 1 } } });
  } finally {
    await s.close();
  }
  // LISTEN needs a connection string: a pool alone is refused, naming the option
  const pgPool = new Pool({ connectionString: db.url });
  const pooled = postgraphile(pgPool, 'forum_example', { subscriptions: true, disableQueryLog: true });
  await assert.rejects(pooled.ready(), /subscriptions needs a connection string \(or ownerConnectionString\)/);
  await pooled.release();
  await pgPool.end();
});

test('pgSettings runs once for each operation of a batch, as in v4', async () => {
  let calls = 0;
  const mw = postgraphile(db.url, 'forum_example', {
    disableQueryLog: true, enableQueryBatching: true,
    pgSettings: () => ({ 'app.operation': String(++calls) }),
  });
  const s = await serve(mw);
  try {
    const q = { query: "{ a: __typename }" };
    const r = await post(`${s.base}/graphql`, JSON.stringify([q, q, q]));
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 3);
    assert.equal(calls, 3);
  } finally {
    await s.close();
  }
});

test('a handleErrors that throws is a 500, and the server goes on', async () => {
  const mw = postgraphile(db.url, 'forum_example', {
    disableQueryLog: true, handleErrors: () => { throw new Error('boom'); },
  });
  const s = await serve(mw);
  try {
    assert.deepEqual(await post(`${s.base}/graphql`, '{"query":"{ nope }"}'), { status: 500, body: { errors: [{ message: 'Internal server error.' }] } });
    assert.equal((await post(`${s.base}/graphql`, '{"query":"{ __typename }"}')).status, 200);
  } finally {
    await s.close();
  }
});

test('library option combinations v4 refuses are refused with its reasons', () => {
  const o = (extra: Record<string, unknown>) => () => middlewareOptions(undefined, 'public', extra as never);
  assert.throws(o({ handleErrors: () => [], extendedErrors: ['hint'] }), /cannot combine 'handleErrors' with the other error options/);
  assert.throws(o({ handleErrors: () => [], showErrorStack: true }), /cannot combine 'handleErrors'/);
  assert.throws(o({ jwtAudiences: ['a'], jwtVerifyOptions: { audience: 'b' } }), /either 'jwtAudiences' or 'jwtVerifyOptions.audience'/);
  assert.throws(o({ jwtVerifyOptions: { complete: true, nonce: 'x' } }), /jwtVerifyOptions: forum-dev does not support `complete`, `nonce`/);
  assert.throws(o({ websockets: ['v3'] }), /websockets must be v0, v1 \(comma-separated\) or none, not 'v3'/);
  assert.throws(o({ readCache: 'a', writeCache: 'b' }), /use readCache or writeCache, not both/);
  assert.throws(o({ readCache: 'a', watchPg: true }), /readCache cannot be used with watchPg/);
  // jwtVerifyOptions' audience [] turns the check off, as in v4
  assert.deepEqual(middlewareOptions(undefined, 'public', { jwtVerifyOptions: { audience: [] } }).jwtAudiences, []);
});

test('withPostGraphileContext verifies with jwtVerifyOptions', async () => {
  const pgPool = new Pool({ connectionString: db.url, max: 1 });
  try {
    const run = (jwtVerifyOptions: Record<string, unknown>, claims: Record<string, unknown>) => withPostGraphileContext(
      { pgPool, jwtSecret: JWT_SECRET, jwtToken: token(claims), jwtVerifyOptions },
      async ({ pgRole }) => pgRole,
    );
    assert.equal(await run({ subject: 's1' }, { sub: 's1' }), 'forum_example_person');
    await assert.rejects(run({ subject: 's1' }, { sub: 's2' }), (e: Error & { statusCode?: number }) => e.statusCode === 403 && e.message === 'jwt subject invalid. expected: s1');
    await assert.rejects(run({ jwtid: 'j1' }, { jti: 'j2' }), /jwt jwtid invalid. expected: j1/);
    assert.equal(await run({ ignoreExpiration: true }, { exp: 1000 }), 'forum_example_person');
    await assert.rejects(run({}, { exp: 1000 }), (e: Error & { statusCode?: number }) => e.statusCode === 401);
    // an audience is still required by default; algorithm "none" is never accepted
    await assert.rejects(run({ algorithms: ['none', 'HS256'] }, { aud: undefined }), /jwt audience invalid/);
  } finally {
    await pgPool.end();
  }
});

test('retryOnInitFail: a function decides each retry; the build succeeds once the cause is gone', async () => {
  const role = uniqueName('late_role');
  const url = connectionAs(db.adminUrl, role, 'pw');
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  const attempts: number[] = [];
  const mw = postgraphile(url, 'forum_example', {
    disableQueryLog: true,
    retryOnInitFail: async (error, n) => {
      attempts.push(n);
      assert.match(error.message, /password authentication failed|does not exist/);
      // the role appears after the first failure
      if (n === 1) await admin.query(`create role ${role} login password 'pw'`);
      return true;
    },
  });
  const s = await serve(mw);
  try {
    await mw.ready();
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(await post(`${s.base}/graphql`, '{"query":"{ __typename }"}'), { status: 200, body: { data: { __typename: 'Query' } } });
  } finally {
    await s.close();
    await admin.query(`drop role ${role}`);
    await admin.end();
  }
  const given: number[] = [];
  const giveUp = postgraphile(connectionAs(db.adminUrl, uniqueName('never_role'), 'pw'), 'forum_example', {
    disableQueryLog: true, retryOnInitFail: (_e, n) => { given.push(n); return n < 2; },
  });
  await assert.rejects(giveUp.ready(), /password authentication failed|does not exist/);
  assert.deepEqual(given, [1, 2]);
  await giveUp.release();
});

test('writeCache / readCache: the schema is built from the cached introspection, not the database', async () => {
  const file = path.join(dir, 'cache.json');
  const fresh = await createPostGraphileSchema(db.url, 'forum_example', { writeCache: file });
  assert.ok(fresh.getType('Person'));
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    await admin.query('create table forum_example.cache_probe (id int primary key); grant select on forum_example.cache_probe to forum_example_postgraphile');
    // the database has the new table; the cache (file or parsed object) does not
    assert.ok((await createPostGraphileSchema(db.url, 'forum_example')).getType('CacheProbe'));
    const cached = await createPostGraphileSchema(db.url, 'forum_example', { readCache: file });
    assert.equal(cached.getType('CacheProbe'), undefined);
    assert.ok(cached.getType('Person'));
    const fromObject = await createPostGraphileSchema(db.url, 'forum_example', { readCache: JSON.parse(fs.readFileSync(file, 'utf8')) });
    assert.equal(fromObject.getType('CacheProbe'), undefined);

    // the middleware and the CLI's server read it too
    const mw = postgraphile(db.url, 'forum_example', { readCache: file, disableQueryLog: true });
    const s = await serve(mw);
    const probe = '{"query":"{ __type(name: \\"CacheProbe\\") { name } p: __type(name: \\"Person\\") { name } }"}';
    try {
      assert.deepEqual((await post(`${s.base}/graphql`, probe)).body, { data: { __type: null, p: { name: 'Person' } } });
    } finally {
      await s.close();
    }
    const { options } = parseArgs(['--schema', 'forum_example', '--read-cache', file], {}, dir);
    const server = await createServer({ ...options, connection: db.url, port: 0, host: '127.0.0.1', disableQueryLog: true });
    try {
      assert.deepEqual((await post(`${server.url}/graphql`, probe)).body, { data: { __type: null, p: { name: 'Person' } } });
    } finally {
      await server.close();
    }
    // a cache for other schemas, or a corrupt file, is refused with what to do
    await assert.rejects(createPostGraphileSchema(db.url, 'public', { readCache: file }), /does not hold .*write it again with --write-cache/);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
    await assert.rejects(createPostGraphileSchema(db.url, 'forum_example', { readCache: path.join(dir, 'bad.json') }), /Failed to parse cache file .*bad.json', perhaps it is corrupted/);
    await assert.rejects(createPostGraphileSchema(db.url, 'forum_example', { readCache: { some: 'v4 cache' } }), /not a forum-dev introspection cache/);
  } finally {
    await admin.query('drop table forum_example.cache_probe');
    await admin.end();
  }
});

test('--read-cache / --write-cache on the command line: -X writes the cache alone; --read-cache excludes --write-cache and --watch', () => {
  const parsed = parseArgs(['-X', '--write-cache', 'c.json'], {}, dir).options;
  assert.equal(parsed.writeCache, path.join(dir, 'c.json'));
  assert.throws(() => parseArgs(['--read-cache', 'a', '--write-cache', 'b'], {}, dir), /use --read-cache or --write-cache, not both/);
  assert.throws(() => parseArgs(['--read-cache', 'a', '--watch'], {}, dir), /--read-cache cannot be used with --watch/);
});

/** The option names of an interface in a .d.ts file. */
function interfaceKeys(file: string, name: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(`export interface ${name}`);
  const body = text.slice(text.indexOf('{', start) + 1, text.indexOf('\n}', start));
  return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]);
}

test('every option of v4\'s PostGraphileOptions and PostGraphileCoreOptions is taken or refused by name', () => {
  const compat = path.join(__dirname, '..', 'compat', 'node_modules');
  const keys = [
    ...interfaceKeys(path.join(compat, 'postgraphile', 'build', 'interfaces.d.ts'), 'PostGraphileOptions'),
    ...interfaceKeys(path.join(compat, 'postgraphile-core', 'node8plus', 'index.d.ts'), 'PostGraphileCoreOptions'),
  ];
  assert.ok(keys.length > 60, `found ${keys.length} options`);
  const samples: Record<string, unknown> = {
    websockets: ['v1'], websocketOperations: 'all', jwtVerifyOptions: {}, readCache: undefined, appendPlugins: [], extendedErrors: [],
    handleErrors: () => [], pgSettings: {}, retryOnInitFail: false, jwtRole: ['role'], graphileBuildOptions: {}, legacyRelations: 'omit',
  };
  const taken: string[] = [];
  for (const key of keys) {
    const value = key in samples ? samples[key] : 'x';
    try {
      middlewareOptions(undefined, 'public', { [key]: value } as never);
      taken.push(key);
    } catch (e) {
      assert.match((e as Error).message, new RegExp(`\\b${key}\\b`), `${key}: ${(e as Error).message}`);
    }
  }
  for (const key of ['enableQueryBatching', 'jwtVerifyOptions', 'handleErrors', 'websockets', 'websocketOperations', 'writeCache',
    'graphqlRoute', 'graphiqlRoute', 'retryOnInitFail', 'pgSettings', 'watchPg']) {
    assert.ok(taken.includes(key), `${key} is taken`);
  }
});
