// A pool of pg-native clients (libpq), as a library user may pass one: they write no protocol
// messages of node-postgres's, so statements go through their own query method, one after
// another, and a request's settings and statement still share one transaction.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Pool } from 'pg';
import { queryPipeline, queryPrepared } from '../../src/db/prepared';
import { queryWithSettings, SettingsError, withTransaction } from '../../src/db/transaction';
import { adminUrl } from '../helpers/db';

// installed by test/run.ts (test/native): node-postgres with its native client
const nativePg = createRequire(join(__dirname, '..', 'native', 'package.json'))('pg') as { native: { Pool: new (config: object) => Pool } | null };

let pool: Pool;
before(() => {
  assert.ok(nativePg.native, 'pg-native is installed in test/native');
  pool = new nativePg.native.Pool({ connectionString: adminUrl(), max: 1 });
});
after(async () => {
  await pool?.end();
});

test('one statement, and several in one transaction, on a native client', async () => {
  const client = await pool.connect();
  try {
    assert.equal((client as unknown as { connection?: unknown }).connection, undefined, 'a native client (no JS protocol connection)');
    assert.equal((await queryPrepared(client, 'select $1::int + 1 as n', [1])).rows[0].n, 2);
    const outcome = await queryPipeline(client, [
      { text: 'select set_config($1, $2, true) as v, txid_current() as xid', values: ['fd.native', 'yes'] },
      { text: "select current_setting('fd.native', true) as v, txid_current() as xid", values: [] },
    ]);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    assert.equal(outcome.results[1].rows[0].v, 'yes');
    assert.equal(outcome.results[1].rows[0].xid, outcome.results[0].rows[0].xid, 'one transaction');
    assert.equal((await queryPrepared(client, "select current_setting('fd.native', true) as v", [])).rows[0].v, '', 'and it ended');
    const failed = await queryPipeline(client, [
      { text: 'select set_config($1, $2, true)', values: ['fd.native', 'no'] },
      { text: 'select 1 / $1::int as n', values: [0] },
    ]);
    assert.ok(!failed.ok);
    assert.equal(failed.index, 1);
    assert.equal(failed.error.code, '22012');
    assert.equal((await client.query('select 1 as n')).rows[0].n, 1, 'the client is usable after the failure');
  } finally {
    client.release();
  }
});

test('the request paths on a native pool: settings apply, refused ones leave the connection clean', async () => {
  const row = await queryWithSettings(pool, [['fd.native', 'request']], "select current_setting('fd.native') as v", []);
  assert.equal(row.v, 'request');
  await assert.rejects(queryWithSettings(pool, [['role', 'fd_no_such_role']], 'select 1', []), SettingsError);
  await assert.rejects(withTransaction(pool, [['role', 'fd_no_such_role']], async () => 1), SettingsError);
  const inside = await withTransaction(pool, [['fd.native', 'tx']], async (c) => (await c.query("select current_setting('fd.native') as v")).rows[0].v);
  assert.equal(inside, 'tx');
  const clean = await queryWithSettings(pool, [['fd.other', 'x']], "select current_setting('fd.native', true) as v, current_setting('role') as role", []);
  assert.deepEqual(clean, { v: '', role: 'none' });
});
