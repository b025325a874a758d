// Named prepared statements: each connection keeps at most MAX_PREPARED and deallocates the
// least recently used, and a deallocated statement is prepared again when it comes back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { MAX_PREPARED, queryPrepared } from '../../src/db/prepared';
import { adminUrl } from '../helpers/db';

let client: Client;
before(async () => {
  client = new Client({ connectionString: adminUrl() });
  await client.connect();
});
after(async () => {
  await client?.end();
});

const preparedCount = async () => Number((await client.query('select count(*) from pg_prepared_statements')).rows[0].count);

test('at most MAX_PREPARED statements per connection; evicted ones come back', async () => {
  for (let i = 0; i < MAX_PREPARED + 25; i++) {
    const r = await queryPrepared(client, `select ${i}::int + $1::int as n`, [1]);
    assert.equal(r.rows[0].n, i + 1);
  }
  assert.equal(await preparedCount(), MAX_PREPARED);
  // the first ones were evicted; using them again prepares them again, without errors
  for (let i = 0; i < 30; i++) {
    const r = await queryPrepared(client, `select ${i}::int + $1::int as n`, [2]);
    assert.equal(r.rows[0].n, i + 2);
  }
  assert.equal(await preparedCount(), MAX_PREPARED);
});

test('statements issued without waiting run in order (pipelining relies on it)', async () => {
  const results = await Promise.all([
    client.query('begin'),
    queryPrepared(client, "select set_config('fd.test', $1, true) as v", ['x']),
    queryPrepared(client, "select current_setting('fd.test', true) as v", []),
    client.query('commit'),
  ]);
  assert.equal(results[2].rows[0].v, 'x');
  assert.equal((await queryPrepared(client, "select current_setting('fd.test', true) as v", [])).rows[0].v, '', 'transaction-local');
});
