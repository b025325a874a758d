// The comparison's yardstick stays true without running the benchmark: on the bench's own data,
// each workload's hand-written statement (what the raw limit answers with) gives forum-dev's
// answer, and forum-dev's answers pass the checks the bench applies to every target under load.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { seed } from '../../bench/lib/compare-data';
import { workloads, type Vars, type Workload } from '../../bench/lib/compare-workloads';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { root, startOurs, type OurServer } from '../e2e/setup';

const dbName = uniqueName('bench_workloads');
let ours: OurServer;
let app: Client;

/** The raw limit's answer: the statement under the same transaction-local settings, rolled back. */
async function rawAnswer(w: Workload, vars: Vars, claims: Record<string, unknown> | null): Promise<any> {
  const settings: [string, string][] = claims
    ? [['role', String(claims.role)], ...Object.entries(claims).map(([k, v]): [string, string] => [`jwt.claims.${k}`, String(v)])]
    : [['role', 'forum_example_anonymous']];
  await app.query('begin');
  try {
    for (const [k, v] of settings) await app.query('select set_config($1, $2, true)', [k, v]);
    const { rows } = await app.query(w.sql!, (w.params ?? []).map((p) => vars[p]));
    return JSON.parse(Object.values(rows[0])[0] as string).data;
  } finally {
    await app.query('rollback');
  }
}

describe('bench workloads', () => {
  before(async () => {
    const admin = await createDatabase(dbName, [join(root, 'examples/forum/schema.sql')]);
    await seed(admin);
    const url = connectionAs(admin, 'forum_example_postgraphile', 'xyz');
    ours = await startOurs(url, { disableQueryLog: true });
    app = new Client({ connectionString: url });
    await app.connect();
  });
  after(async () => {
    await app?.end();
    await ours?.close();
    await dropDatabase(dbName);
  });

  for (const w of workloads) {
    it(`${w.id}: forum-dev passes the bench's checks${w.sql && w.sameAnswer ? ' and equals the hand-written statement' : ''}`, async () => {
      for (let i = 0; i < 3; i++) {
        const vars = w.variables(i);
        const token = w.token?.(vars);
        const r = await ours.graphql(w.query, vars, token ? { authorization: `Bearer ${token}` } : undefined);
        assert.equal(r.status, 200);
        assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        assert.equal(w.check(r.body.data, vars), null);
        if (!w.sql) continue;
        const claims = token ? JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) : null;
        const raw = await rawAnswer(w, vars, claims);
        assert.equal(w.check(raw, vars), null);
        if (w.sameAnswer) assert.deepEqual(raw, r.body.data);
      }
    });
  }
});
