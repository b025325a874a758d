// Losing the database's connections while requests are in flight (what a restart does to the
// pool's clients, checked out or idle): every answer is clean, the process survives, and the
// next requests are served on fresh connections.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { createForumDb, startOurs, type ForumDb, type OurServer } from '../e2e/setup';

let db: ForumDb;
let ours: OurServer;

before(async () => {
  db = await createForumDb('pool_loss');
  ours = await startOurs(db.url);
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

async function terminateServerConnections(): Promise<number> {
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  try {
    const r = await c.query(`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and application_name = 'forum-dev' and pid <> pg_backend_pid()`);
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

test('connections terminated under a load of mutations: clean answers, no crash, then served again', async () => {
  const login = await ours.graphql('mutation { authenticate(input: { email: "sara.powell@example.com", password: "password" }) { jwtToken } }');
  const auth = { authorization: `Bearer ${login.body.data.authenticate.jwtToken}` };
  const mutation = 'mutation($h: String!) { a: createPost(input: { post: { authorId: 1, headline: $h } }) { post { id } } b: createPost(input: { post: { authorId: 1, headline: $h } }) { post { id } } }';
  let stop = false;
  const answers: Array<{ status: number; body: any }> = [];
  const load = Array.from({ length: 12 }, async (_, w) => {
    for (let n = 0; !stop; n++) answers.push(await ours.graphql(mutation, { h: `pool ${w} ${n}` }, auth));
  });
  let terminated = 0;
  for (let round = 0; round < 5; round++) {
    while (answers.length < (round + 1) * 20) await new Promise((r) => setTimeout(r, 5));
    terminated += await terminateServerConnections();
  }
  stop = true;
  await Promise.all(load);
  assert.ok(terminated > 0, 'connections were terminated under load');
  for (const a of answers) {
    assert.ok(a.status === 200 || a.status === 503, `status ${a.status}: ${JSON.stringify(a.body)}`);
    assert.ok(a.body && (a.body.data !== undefined || Array.isArray(a.body.errors)), JSON.stringify(a.body));
  }
  const after = await ours.graphql('{ allPosts(condition: { authorId: 1 }) { totalCount } }');
  assert.equal(after.status, 200);
  assert.ok(after.body.data.allPosts.totalCount > 0);
});
