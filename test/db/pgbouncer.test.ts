// Through PgBouncer in transaction mode (Debian's `pgbouncer`), where a server connection is
// lent per transaction and statements prepared on one are missing on the next: forum-dev finds
// the pooler and sends statements unnamed, so 20 clients × 50 requests all succeed; named
// statements fail there with an error that says what to do.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Pool } from 'pg';
import { behindPooler, queryPrepared } from '../../src/db/prepared';
import { createForumDb, fixtureNames, loadFixture, root, startOurs, type ForumDb, type OurServer } from '../e2e/setup';
import { havePgBouncer, PGBOUNCER, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer';

const skip = havePgBouncer() ? false : `no pgbouncer at ${PGBOUNCER} (apt-get install -y pgbouncer)`;
const queriesDir = join(root, 'test/fixtures/data/forum');

let db: ForumDb;
let bouncer: PgBouncer;

before(async () => {
  if (skip) return;
  db = await createForumDb('pgbouncer');
  bouncer = await startPgBouncer(db.url, 4);
});

after(async () => {
  await bouncer?.stop();
  await db?.drop();
});

test('a pooler is found by the greeting key; a direct connection is not one', { skip }, async () => {
  const direct = new Pool({ connectionString: db.url, max: 1 });
  const pooled = new Pool({ connectionString: bouncer.url, max: 1 });
  try {
    assert.equal(await behindPooler(direct), false);
    assert.equal(await behindPooler(pooled), true);
  } finally {
    await direct.end();
    await pooled.end();
  }
});

test('a named statement lost by the pooler fails with what to do', { skip }, async () => {
  // default_pool_size 4: while `holder` keeps one server connection in a transaction, `client`'s
  // next transaction gets another, which never saw the statement.
  const client = new Client({ connectionString: bouncer.url });
  const holder = new Client({ connectionString: bouncer.url });
  await client.connect();
  await holder.connect();
  try {
    const text = 'select $1::int + 1 as n';
    assert.equal((await queryPrepared(client, text, [1])).rows[0].n, 2);
    await holder.query('begin');
    await holder.query('select 1');
    await assert.rejects(queryPrepared(client, text, [1]), (e: Error) => {
      assert.match(e.message, /prepared statement "fd_.*" does not exist/);
      assert.match(e.message, /--no-prepared-statements/);
      return true;
    });
    await holder.query('commit');
  } finally {
    await client.end();
    await holder.end();
  }
});

test('20 clients × 50 forum requests through PgBouncer: no failures, v4\'s answers', { skip }, async () => {
  const fixtures = fixtureNames(queriesDir).map((name) => ({ name, ...loadFixture(queriesDir, name) }));
  const expected = new Map(fixtures.map((f) => [f.name, JSON.parse(readFileSync(join(queriesDir, `${f.name}.json`), 'utf8'))]));
  const login = 'mutation { authenticate(input: { email: "sara.powell@example.com", password: "password" }) { jwtToken } }';
  let ours: OurServer | undefined;
  try {
    // no flag: the pooler is detected and statements go unnamed
    ours = await startOurs(bouncer.url, {});
    const server = ours;
    const failures: string[] = [];
    await Promise.all(Array.from({ length: 20 }, async (_, clientNo) => {
      for (let i = 0; i < 50; i++) {
        if ((clientNo + i) % 10 === 0) {
          const r = await server.graphql(login);
          const token = (r.body as { data?: { authenticate?: { jwtToken?: unknown } } }).data?.authenticate?.jwtToken;
          if (r.status !== 200 || typeof token !== 'string') failures.push(`authenticate: ${JSON.stringify(r.body)}`);
          continue;
        }
        const f = fixtures[(clientNo * 50 + i) % fixtures.length];
        const r = await server.graphql(f.query, f.variables);
        try {
          assert.deepEqual(r.body, expected.get(f.name));
        } catch {
          failures.push(`${f.name}: ${JSON.stringify(r.body).slice(0, 300)}`);
        }
      }
    }));
    assert.deepEqual(failures, [], `${failures.length} of 1000 requests failed`);
  } finally {
    await ours?.close();
  }
});
