// The library API as v4 integrations call it: the schema executed by graphql-js on the caller's
// client, the per-request context with JWT claims, and the middleware in an existing express app.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import express from 'express';
import { graphql, type GraphQLSchema } from 'graphql';
import jwt from 'jsonwebtoken';
import { Client, Pool, type PoolClient } from 'pg';
import { createPostGraphileSchema, postgraphile, withPostGraphileContext, type PostGraphileMiddleware } from '../../src/index';
import { createSecurityDb, JWT_SECRET, type SecurityDb } from './setup';

const schemas = ['users_schema', 'posts_schema', 'scalars_demo'];
let db: SecurityDb;
let pool: Pool;
let schema: GraphQLSchema;

// One row of most scalar kinds, to check graphql-js passes our serialized values through.
const scalarsSql = `
  create schema scalars_demo;
  create type scalars_demo.mood as enum ('happy', 'not_sure');
  create table scalars_demo.thing (
    id serial primary key, big bigint, num numeric, iv interval, js json, jb jsonb, uid uuid, d date,
    ts timestamptz, tm time, pt point, ip inet, bits bit varying, f float8, mood scalars_demo.mood,
    tags text[], flag boolean
  );
  insert into scalars_demo.thing (big, num, iv, js, jb, uid, d, ts, tm, pt, ip, bits, f, mood, tags, flag) values
    (9007199254740993, 1.10, '1 year 2 mons 3 days 04:05:06.5', '{"a": [1, "x"]}', '[true, null]',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-31', '2024-01-31 12:00:00+00', '13:14:15',
     '(1.5,2)', '10.0.0.1/8', B'101', 2.25, 'not_sure', '{a,b}', true);
`;
const scalarsQuery = `{ allThings { nodes { id big num iv { years months days hours minutes seconds } js jb uid d ts tm
  pt { x y } ip bits f mood tags flag } } }`;

before(async () => {
  db = await createSecurityDb('api');
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query(scalarsSql);
  await admin.end();
  pool = new Pool({ connectionString: db.adminUrl });
  // pool.end() resolves before its idle connections have closed; the database drop that follows
  // can terminate one of them, and an 'error' event with no listener would end the test process.
  pool.on('error', () => undefined);
  schema = await createPostGraphileSchema(db.adminUrl, schemas, {
    pgJwtSecret: JWT_SECRET, pgJwtTypeIdentifier: 'users_schema.jwt_type',
  });
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

/** graphql() on a client inside a transaction that is rolled back afterwards. */
async function inTransaction<T>(fn: (pgClient: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    return await fn(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

test('a query executes on the context pgClient, aliases, variables and fragments included', async () => {
  const r = await inTransaction((pgClient) => graphql({
    schema, contextValue: { pgClient }, variableValues: { name: 'carol' },
    source: `query Q($name: String!) {
      who: userByUsername(username: $name) { ...U posts: postsByAuthorId(orderBy: ID_DESC, first: 2) { totalCount nodes { title } } }
      everyone: allUsers(orderBy: ID_ASC) { nodes { username } }
      __typename
    }
    fragment U on User { id name: username }`,
  }));
  assert.deepEqual(plain(r), {
    data: {
      who: { id: 27, name: 'carol', posts: { totalCount: 3, nodes: [{ title: 'Carol: a third one' }, { title: "Carol's second post" }] } },
      everyone: { nodes: [{ username: 'alice' }, { username: 'bob' }, { username: 'carol' }, { username: 'dave' }] },
      __typename: 'Query',
    },
  });
});

test('without a pgClient in the context the error says so', async () => {
  const r = await graphql({ schema, source: '{ allUsers { totalCount } }', contextValue: {} });
  assert.equal(r.errors?.[0].message, 'forum-dev: the GraphQL context has no pgClient');
  assert.deepEqual(r.errors?.[0].path, ['allUsers']);
});

test('introspection works with and without data fields', async () => {
  const r = await inTransaction((pgClient) => graphql({
    schema, contextValue: { pgClient }, source: '{ __type(name: "Post") { name } allPosts { totalCount } }',
  }));
  assert.deepEqual(plain(r), { data: { __type: { name: 'Post' }, allPosts: { totalCount: 7 } } });
});

test('mutations run in savepoints: a failing one leaves nothing, the transaction goes on', async () => {
  await inTransaction(async (pgClient) => {
    const r = await graphql({
      schema, contextValue: { pgClient },
      source: `mutation {
        ok: createPost(input: { post: { title: "Kept", authorId: 2 } }) {
          post { title author: userByAuthorId { username } }
          query { allPosts { totalCount } }
        }
        bad: createPost(input: { post: { title: "Orphan", authorId: 9999 } }) { post { id } }
      }`,
    });
    assert.deepEqual(plain(r.data), {
      ok: { post: { title: 'Kept', author: { username: 'bob' } }, query: { allPosts: { totalCount: 8 } } },
      bad: null,
    });
    assert.equal(r.errors?.length, 1);
    assert.deepEqual(r.errors?.[0].path, ['bad']);
    assert.match(r.errors![0].message, /foreign key/);
    const { rows } = await pgClient.query(`select title from posts_schema.post where title in ('Kept', 'Orphan')`);
    assert.deepEqual(rows, [{ title: 'Kept' }]);
  });
});

test('node(nodeId) resolves its concrete type, fragments and __typename included', async () => {
  const r = await inTransaction(async (pgClient) => {
    const ids = await graphql({ schema, contextValue: { pgClient }, source: '{ userById(id: 27) { nodeId } postById(id: 1) { nodeId } }' });
    const { userById, postById } = ids.data as any;
    return graphql({
      schema, contextValue: { pgClient }, variableValues: { u: userById.nodeId, p: postById.nodeId },
      source: `query ($u: ID!, $p: ID!) {
        u: node(nodeId: $u) { __typename nodeId ...Who ... on Post { title } }
        p: node(nodeId: $p) { __typename ...Who ... on Post { title } }
      }
      fragment Who on User { username }`,
    });
  });
  assert.equal(r.errors, undefined);
  const data = plain(r.data);
  assert.deepEqual(data.p, { __typename: 'Post', title: 'Alice on gardening' });
  assert.equal(data.u.__typename, 'User');
  assert.equal(data.u.username, 'carol');
  assert.equal(typeof data.u.nodeId, 'string');
});

test('a JWT-typed function result is signed with pgJwtSecret', async () => {
  const r = await inTransaction((pgClient) => graphql({
    schema, contextValue: { pgClient },
    source: 'mutation { authenticate(input: { username: "carol", clientMutationId: "c1" }) { clientMutationId jwtType query { userById(id: 27) { username } } } }',
  }));
  assert.equal(r.errors, undefined);
  const out = plain(r.data).authenticate;
  assert.equal(out.clientMutationId, 'c1');
  assert.deepEqual(out.query, { userById: { username: 'carol' } });
  const claims = jwt.verify(out.jwtType, JWT_SECRET, { audience: 'postgraphile' }) as Record<string, unknown>;
  assert.equal(claims.role, 'postgraphile_user');
  assert.equal(claims.user_id, 27);
});

test('scalars come out as the HTTP server sends them, with and without dynamicJson', async () => {
  for (const dynamicJson of [false, true]) {
    const s = await createPostGraphileSchema(pool, schemas, { dynamicJson });
    const viaGraphql = await inTransaction((pgClient) => graphql({ schema: s, source: scalarsQuery, contextValue: { pgClient } }));
    assert.equal(viaGraphql.errors, undefined, String(viaGraphql.errors));
    const mw = postgraphile(db.adminUrl, schemas, { dynamicJson, disableQueryLog: true, graphiql: false });
    const app = express().use(mw);
    const viaHttp = await withApp(app, (url) => postJson(url, { query: scalarsQuery }));
    await mw.release();
    assert.deepEqual(plain(viaGraphql), viaHttp.body);
    const thing = (viaHttp.body as any).data.allThings.nodes[0];
    assert.equal(thing.big, '9007199254740993');
    assert.equal(thing.mood, 'NOT_SURE');
    assert.deepEqual(dynamicJson ? thing.js : JSON.parse(thing.js), { a: [1, 'x'] });
  }
});

test('enum values go in and come out by their GraphQL names through graphql-js', async () => {
  const source = `query ($mood: Mood!) {
    byVariable: allThings(condition: { mood: $mood }) { nodes { mood } }
    byLiteral: allThings(condition: { mood: HAPPY }) { totalCount }
  }`;
  const r = await inTransaction((pgClient) => graphql({ schema, source, variableValues: { mood: 'NOT_SURE' }, contextValue: { pgClient } }));
  assert.equal(r.errors, undefined, String(r.errors));
  assert.deepEqual(plain(r.data), { byVariable: { nodes: [{ mood: 'NOT_SURE' }] }, byLiteral: { totalCount: 0 } });
});

function token(claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return jwt.sign(claims, JWT_SECRET, { audience: 'postgraphile', ...options });
}

test('withPostGraphileContext applies role and claims for one transaction', async () => {
  const appPool = new Pool({ connectionString: db.appUrl });
  try {
    const result = await withPostGraphileContext(
      { pgPool: appPool, jwtToken: token({ role: 'postgraphile_user', user_id: 27 }), jwtSecret: JWT_SECRET, pgSettings: { 'app.source': 'test' } },
      async (context) => {
        const s = await context.pgClient.query(`select current_user as u, current_setting('jwt.claims.user_id') as id, current_setting('app.source') as src`);
        assert.deepEqual(s.rows[0], { u: 'postgraphile_user', id: '27', src: 'test' });
        assert.equal(context.pgRole, 'postgraphile_user');
        return graphql({ schema, source: '{ allPosts { nodes { author: userByAuthorId { id } } } }', contextValue: context });
      },
    );
    assert.equal(result.errors, undefined);
    const authors = plain(result.data).allPosts.nodes.map((n: any) => n.author.id);
    assert.deepEqual(authors, [27, 27, 27]);
    // The settings were local to that transaction.
    const after = await appPool.query(`select current_user as u, nullif(current_setting('jwt.claims.user_id', true), '') as id`);
    assert.deepEqual(after.rows[0], { u: 'security_app', id: null });
  } finally {
    await appPool.end();
  }
});

test('withPostGraphileContext rejects a bad or expired token with a statusCode', async () => {
  let called = false;
  const run = (jwtToken: string) => withPostGraphileContext({ pgPool: pool, jwtToken, jwtSecret: JWT_SECRET }, async () => {
    called = true;
  });
  await assert.rejects(run(jwt.sign({ user_id: 1 }, 'another secret', { audience: 'postgraphile' })), (e: any) => e.statusCode === 403 && /invalid signature/.test(e.message));
  await assert.rejects(run(token({ user_id: 1, exp: Math.floor(Date.now() / 1000) - 60 })), (e: any) => e.statusCode === 401);
  await assert.rejects(run('not.a.token'), (e: any) => e.statusCode === 403);
  assert.equal(called, false);
});

async function withApp<T>(app: express.Express, fn: (url: string) => Promise<T>): Promise<T> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('postgraphile() middleware serves GraphQL and GraphiQL inside an existing express app', async () => {
  const mw: PostGraphileMiddleware = postgraphile(db.appUrl, ['users_schema', 'posts_schema'], {
    pgDefaultRole: 'postgraphile_user', jwtSecret: JWT_SECRET, disableQueryLog: true,
    // v4's allowExplain as a function of the (express) request
    allowExplain: (req) => req.headers['x-dev'] === '1',
  });
  const app = express();
  app.get('/health', (_req, res) => { res.send('app route'); });
  // Mounted before the schema has loaded: the first request waits for it.
  app.use(mw);
  try {
    await withApp(app, async (url) => {
      const query = { query: '{ allPosts { nodes { title author: userByAuthorId { id } } } }' };
      const anonymous = await postJson(url, query);
      assert.deepEqual(anonymous, { status: 200, body: { data: { allPosts: { nodes: [] } } } });
      const carol = await postJson(url, query, { authorization: `Bearer ${token({ user_id: 27 })}` });
      assert.equal(carol.status, 200);
      const nodes = (carol.body as any).data.allPosts.nodes;
      assert.equal(nodes.length, 3);
      assert.ok(nodes.every((n: any) => n.author.id === 27));
      const asCarol = { authorization: `Bearer ${token({ user_id: 27 })}`, 'x-postgraphile-explain': 'on' };
      const explained = (await postJson(url, query, { ...asCarol, 'x-dev': '1' })).body as any;
      assert.deepEqual(explained.data, (carol.body as any).data);
      assert.equal(explained.explain.length, 1);
      assert.match(explained.explain[0].plan, /posts?\b/);
      assert.equal(((await postJson(url, query, asCarol)).body as any).explain, undefined);
      const bad = await postJson(url, query, { authorization: 'Bearer nope' });
      assert.equal(bad.status, 403);
      const page = await fetch(`${url}/graphiql`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      assert.equal(await (await fetch(`${url}/health`)).text(), 'app route');
    });
  } finally {
    await mw.release();
  }
});

test('postgraphile() takes the limits as options', async () => {
  const mw = postgraphile(db.appUrl, ['users_schema', 'posts_schema'], {
    pgDefaultRole: 'postgraphile_user', disableQueryLog: true, maxQueryDepth: 3, maxPageSize: 2, disableIntrospection: true,
  });
  const app = express().use(mw);
  try {
    await withApp(app, async (url) => {
      const limitOf = async (query: string) => {
        const r = await postJson(url, { query });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        return (r.body as any).errors[0].extensions.limit;
      };
      assert.equal(await limitOf('{ allPosts { nodes { author: userByAuthorId { id } } } }'), 'maxQueryDepth');
      assert.equal(await limitOf('{ allPosts(first: 3) { totalCount } }'), 'maxPageSize');
      assert.equal(await limitOf('{ __schema { queryType { name } } }'), 'disableIntrospection');
      assert.deepEqual(await postJson(url, { query: '{ allPosts(first: 2) { nodes { title } } }' }), { status: 200, body: { data: { allPosts: { nodes: [] } } } });
    });
  } finally {
    await mw.release();
  }
});

test('postgraphile() reports a schema that cannot load to the request, not the process', async () => {
  const mw = postgraphile(db.adminUrl, ['users_schema'], { jwtTokenIdentifier: 'users_schema.no_such_type', disableQueryLog: true });
  await assert.rejects(mw.ready(), /no_such_type/);
  const app = express().use(mw).use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(503).send(err.message);
  });
  try {
    await withApp(app, async (url) => {
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}' });
      assert.equal(res.status, 503);
      assert.match(await res.text(), /no_such_type/);
    });
  } finally {
    await mw.release();
  }
});

test('library options forum-dev does not take are refused by name, never dropped', async () => {
  assert.throws(() => postgraphile(db.adminUrl, schemas, { queryCacheMaxSize: 1 } as never), /postgraphile\(\): forum-dev does not support the option `queryCacheMaxSize`/);
  assert.throws(() => postgraphile(db.adminUrl, schemas, { websocketMiddlewares: [], skipPlugins: [] } as never), /options `websocketMiddlewares`, `skipPlugins`/);
  await assert.rejects(createPostGraphileSchema(db.adminUrl, schemas, { skipPlugins: [] } as never), /createPostGraphileSchema\(\): forum-dev does not support the option `skipPlugins`/);
  await assert.rejects(createPostGraphileSchema(db.adminUrl, schemas, { graphileBuildOptions: { pgStrictFunctions: 'yes' } }), /graphileBuildOptions.pgStrictFunctions must be true or false, not "yes"/);
  assert.throws(() => postgraphile(db.adminUrl, schemas, { legacyRelations: 'some' } as never), /legacyRelations must be 'omit', 'deprecated' or 'only', not "some"/);
});

test('v4 library names for owner connection and schema exports are honoured', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lib-export-'));
  const gql = path.join(dir, 'schema.graphql');
  const json = path.join(dir, 'schema.json');
  const mw = postgraphile(db.adminUrl, schemas, { exportGqlSchemaPath: gql, exportJsonSchemaPath: json, ownerConnectionString: db.adminUrl, disableQueryLog: true });
  try {
    await mw.ready();
  } finally {
    await mw.release();
  }
  assert.match(fs.readFileSync(gql, 'utf8'), /type Query/);
  assert.ok(JSON.parse(fs.readFileSync(json, 'utf8')).data.__schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('createPostGraphileSchema takes a client from a pool and introspects inside its transaction, as v4', async () => {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('create table posts_schema.draft (id serial primary key, title text)');
    const s = await createPostGraphileSchema(client, schemas);
    assert.ok(s.getQueryType()!.getFields().allDrafts, 'the uncommitted table is in the schema');
    const r = await graphql({ schema: s, source: '{ allDrafts { totalCount } }', contextValue: { pgClient: client } });
    assert.deepEqual(plain(r), { data: { allDrafts: { totalCount: 0 } } });
    await client.query('rollback');
  } finally {
    client.release();
  }
  const after = await createPostGraphileSchema(pool, schemas);
  assert.equal(after.getQueryType()!.getFields().allDrafts, undefined);
});
