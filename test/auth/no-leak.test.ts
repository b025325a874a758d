// Role and claims are transaction-local: thousands of concurrent requests with different tokens
// share two pooled connections, and every response still belongs to its own request. Each
// request also carries a unique integrator setting (pgSettings hook) that SQL echoes back, so
// a setting surviving into another request's transaction would show.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createForumDb, type ForumDb } from '../e2e/setup';
import { adminSql, bearer, CURRENT_TENANT_SQL, personToken, startAuthServer, type AuthServer } from './support';

let db: ForumDb;
let ours: AuthServer;

before(async () => {
  db = await createForumDb('auth_noleak');
  await adminSql(db.adminUrl, CURRENT_TENANT_SQL);
  // The pool is overloaded on purpose (32 requests on 2 connections): no bound on the wait.
  ours = await startAuthServer(db.url, { poolWaitTimeout: 0 }, {
    pgSettings: (req) => ({ 'myapp.tenant': req.headers['x-tenant'] }),
  }, 2);
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

const TOTAL = 3000;
const CONCURRENCY = 32;
// index 0 is anonymous (no Authorization header)
const people = [0, 1, 2, 3];
const tokens = people.map((id) => (id ? personToken(id) : undefined));

const readQuery = '{ currentPerson { id } currentTenant }';
const createQuery = `mutation($author: Int!, $headline: String!) {
  createPost(input: { post: { authorId: $author, headline: $headline } }) {
    post { authorId headline }
    query { currentPerson { id } currentTenant }
  }
}`;

async function one(i: number): Promise<string | null> {
  const person = people[i % people.length];
  const tenant = `tenant-${i}`;
  const headers: Record<string, string> = { 'x-tenant': tenant, ...(tokens[person] ? bearer(tokens[person]!) : {}) };
  const me = person ? { id: person } : null;
  if (i % 10 === 3 || i % 10 === 4 || i % 10 === 5 || i % 10 === 6) {
    // Writes: RLS lets a person create posts only as themselves; the anonymous role has no
    // insert privilege at all, so `current_user` is checked as well as the claims.
    const author = person || 1;
    const r = await ours.graphql(createQuery, { author, headline: tenant }, headers);
    if (r.status !== 200) return `request ${i}: status ${r.status}`;
    if (!person) {
      const message = r.body.errors?.[0]?.message ?? '';
      if (!/permission denied/.test(message) || r.body.data?.createPost !== null) return `request ${i} (anonymous write): ${JSON.stringify(r.body)}`;
      return null;
    }
    const expected = { data: { createPost: { post: { authorId: person, headline: tenant }, query: { currentPerson: me, currentTenant: tenant } } } };
    try {
      assert.deepEqual(r.body, expected);
    } catch {
      return `request ${i} (person ${person} write): ${JSON.stringify(r.body)}`;
    }
    return null;
  }
  const r = await ours.graphql(readQuery, undefined, headers);
  try {
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { data: { currentPerson: me, currentTenant: tenant } });
  } catch {
    return `request ${i} (person ${person} read): ${r.status} ${JSON.stringify(r.body)}`;
  }
  return null;
}

test(`${TOTAL} concurrent requests over a 2-connection pool: no cross-talk between tokens`, async (t) => {
  const problems: string[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) {
      const problem = await one(next++);
      if (problem) problems.push(problem);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  t.diagnostic(`${TOTAL} requests, concurrency ${CONCURRENCY}, pool max 2: ${seconds.toFixed(2)} s, ${(TOTAL / seconds).toFixed(0)} req/s`);
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} responses did not match their request`);
  assert.equal(ours.pool.totalCount <= 2, true, 'the pool never grew past two connections');

  // Each person's writes landed under their own id, and only theirs; the anonymous ones none.
  const posts = await ours.graphql('{ allPosts(condition: { authorId: 2 }) { nodes { headline } } }');
  const headlines: string[] = posts.body.data.allPosts.nodes.map((n: { headline: string }) => n.headline);
  const mine = headlines.filter((h) => h.startsWith('tenant-')).map((h) => Number(h.slice(7)));
  const expected = Array.from({ length: TOTAL }, (_, i) => i).filter((i) => people[i % 4] === 2 && [3, 4, 5, 6].includes(i % 10));
  assert.deepEqual(mine.sort((a, b) => a - b), expected);
});

test('after the run, a connection-level check: no role or setting outlives its transaction', async () => {
  const clients = await Promise.all([ours.pool.connect(), ours.pool.connect()]);
  try {
    for (const c of clients) {
      const r = await c.query(`select current_user as "user", current_setting('jwt.claims.person_id', true) as person,
        current_setting('myapp.tenant', true) as tenant`);
      assert.equal(r.rows[0].user, 'forum_example_postgraphile');
      assert.ok(!r.rows[0].person, `person_id is ${JSON.stringify(r.rows[0].person)}`);
      assert.ok(!r.rows[0].tenant, `tenant is ${JSON.stringify(r.rows[0].tenant)}`);
    }
  } finally {
    for (const c of clients) c.release();
  }
});
