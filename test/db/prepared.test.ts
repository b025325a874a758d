// Named prepared statements: each connection keeps at most MAX_PREPARED and closes the least
// recently used, and a closed statement is prepared again when it comes back. A pipeline of
// statements is one implicit transaction; a failure in it stops the rest, and statements whose
// fate it leaves unknown are closed and prepared again next time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { MAX_PREPARED, queryPipeline, queryPrepared, useUnnamedStatements } from '../../src/db/prepared';
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

const named = async () => (await client.query('select name from pg_prepared_statements')).rows.map((r) => r.name as string);

test('a pipeline is one implicit transaction: settings hold for the next statement, then end', async () => {
  const outcome = await queryPipeline(client, [
    { text: 'select set_config($1, $2, true) as v, txid_current() as xid', values: ['fd.pipe', 'yes'] },
    { text: "select current_setting('fd.pipe', true) as v, txid_current() as xid", values: [] },
  ]);
  assert.ok(outcome.ok);
  const [first, second] = outcome.results;
  assert.equal(second.rows[0].v, 'yes');
  assert.equal(second.rows[0].xid, first.rows[0].xid, 'the same transaction');
  const after = await queryPrepared(client, "select current_setting('fd.pipe', true) as v, txid_current() as xid", []);
  assert.equal(after.rows[0].v, '', 'transaction-local');
  assert.notEqual(after.rows[0].xid, first.rows[0].xid);
});

test('a failure stops the rest of the pipeline and rolls it back; it says which statement failed', async () => {
  await client.query('create temporary table fd_pipe_t (n int)');
  const failing = await queryPipeline(client, [
    { text: 'insert into fd_pipe_t values ($1::int) returning n', values: [1] },
    { text: 'select 1 / $1::int as n', values: [0] },
    { text: 'insert into fd_pipe_t values ($1::int + 100) returning n', values: [2] },
  ]);
  assert.equal(failing.ok, false);
  assert.ok(!failing.ok);
  assert.equal(failing.index, 1);
  assert.equal(failing.error.code, '22012');
  assert.equal((await client.query('select count(*)::int as n from fd_pipe_t')).rows[0].n, 0, 'the first insert was rolled back');
  // The division was prepared before it failed; the last insert never was. Both run next time.
  const again = await queryPipeline(client, [
    { text: 'select 1 / $1::int as n', values: [1] },
    { text: 'insert into fd_pipe_t values ($1::int + 100) returning n', values: [2] },
  ]);
  assert.ok(again.ok, again.ok ? '' : again.error.message);
  assert.equal(again.results[1].rows[0].n, 102);
  const settings = await queryPipeline(client, [{ text: 'select set_config($1, $2, true)', values: ['not a name', 'x'] }, { text: 'select 1 / $1::int as n', values: [1] }]);
  assert.ok(!settings.ok);
  assert.equal(settings.index, 0);
});

test('a statement that fails to parse fails again with its own error, not a lost statement', async () => {
  const before = await named();
  for (let i = 0; i < 2; i++) {
    const outcome = await queryPipeline(client, [{ text: 'select $1::int as n', values: [1] }, { text: 'selec 1', values: [] }]);
    assert.ok(!outcome.ok);
    assert.equal(outcome.index, 1);
    assert.equal(outcome.error.code, '42601', outcome.error.message);
  }
  assert.equal((await queryPrepared(client, 'select $1::int as n', [3])).rows[0].n, 3);
  assert.ok((await named()).length <= Math.max(before.length, MAX_PREPARED));
});

test('a value that cannot be sent fails the pipeline before anything is sent', async () => {
  const circular: Record<string, unknown> = {};
  circular.self = { toPostgres: () => circular.self };
  const outcome = await queryPipeline(client, [{ text: 'select $1::text as v', values: [circular.self] }]);
  assert.ok(!outcome.ok);
  assert.match(outcome.error.message, /circular/);
  assert.equal((await queryPrepared(client, 'select $1::text as v', ['fine'])).rows[0].v, 'fine', 'the connection is still usable');
});

test('a deferred constraint fails at the end of the implicit transaction, after every statement', async () => {
  await client.query('create temporary table fd_pipe_d (n int unique deferrable initially deferred)');
  const outcome = await queryPipeline(client, [
    { text: 'insert into fd_pipe_d values ($1::int)', values: [1] },
    { text: 'insert into fd_pipe_d values ($1::int)', values: [1] },
  ]);
  assert.ok(!outcome.ok);
  assert.equal(outcome.error.code, '23505');
  assert.equal(outcome.index, 2, 'the commit failed, not a statement');
  assert.equal((await client.query('select count(*)::int as n from fd_pipe_d')).rows[0].n, 0);
});

test('a client marked for unnamed statements prepares nothing more, even after named use', async () => {
  const other = new Client({ connectionString: adminUrl() });
  await other.connect();
  try {
    const count = async () => Number((await other.query('select count(*) from pg_prepared_statements')).rows[0].count);
    assert.equal((await queryPrepared(other, 'select $1::int + 1 as n', [1])).rows[0].n, 2);
    assert.equal(await count(), 1);
    useUnnamedStatements(other);
    const outcome = await queryPipeline(other, [
      { text: 'select set_config($1, $2, true) as v', values: ['fd.unnamed', 'u'] },
      { text: "select current_setting('fd.unnamed') as v, $1::int * 2 as n", values: [21] },
    ]);
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.results[1].rows[0], { v: 'u', n: 42 });
    assert.equal((await queryPrepared(other, 'select $1::int + 1 as n', [2])).rows[0].n, 3);
    assert.equal(await count(), 1, 'nothing prepared by name after the mark');
  } finally {
    await other.end();
  }
});
