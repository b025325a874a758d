// Transactions on a pooled connection: settings refused after BEGIN leave no transaction open on
// the connection, and a one-statement request and a multi-statement transaction both see their
// settings and nothing of the request before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Pool } from 'pg';
import { queryWithSettings, SettingsError, withTransaction } from '../../src/db/transaction';
import { adminUrl } from '../helpers/db';

let pool: Pool;
before(() => {
  // one connection: whatever a request leaves behind, the next one gets
  pool = new Pool({ connectionString: adminUrl(), max: 1 });
});
after(async () => {
  await pool?.end();
});

const refused: Array<[string, string]> = [['role', 'fd_no_such_role']];
const fine: Array<[string, string]> = [['fd.test', 'fine']];

test('settings refused after BEGIN: a SettingsError, and the connection comes back idle', async () => {
  for (let i = 0; i < 3; i++) {
    await assert.rejects(withTransaction(pool, refused, async (c) => (await c.query('select 1')).rows), SettingsError);
    const rows = await withTransaction(pool, fine, async (c) => (await c.query("select current_setting('fd.test') as v, current_setting('role') as role")).rows);
    assert.deepEqual(rows, [{ v: 'fine', role: 'none' }]);
  }
  const client = await pool.connect();
  try {
    assert.equal((client as unknown as { _txStatus?: string })._txStatus, 'I');
    assert.equal((await client.query("select current_setting('fd.test', true) as v")).rows[0].v, '', 'nothing left from the transactions');
  } finally {
    client.release();
  }
});

test('settings refused in the one-statement path: a SettingsError, the statement never runs, the next request is clean', async () => {
  await assert.rejects(queryWithSettings(pool, refused, 'select 1 as n', []), SettingsError);
  const row = await queryWithSettings(pool, fine, "select current_setting('fd.test') as v, current_setting('role') as role", []);
  assert.deepEqual(row, { v: 'fine', role: 'none' });
  const after = await queryWithSettings(pool, [['fd.other', 'x']], "select current_setting('fd.test', true) as v", []);
  assert.equal(after.v, '', 'the previous request\'s settings ended with it');
});
