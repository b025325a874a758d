import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Pool } from 'pg';
import { fingerprintSql, startDdlWatcher, type DdlEvent } from '../../src/watch/ddl-watcher';
import { createNotifyHub } from '../../src/realtime/notify-hub';
import { installWatchFixtures, watchFixturesSql } from '../../src/watch/install';
import { createPlainRole, createTestDb, run, sleep, waitFor, type TestDb } from './support';

let db: TestDb;
let role: Awaited<ReturnType<typeof createPlainRole>>;

before(async () => {
  db = await createTestDb('watch_install');
  role = await createPlainRole(db);
  await run(db.url, `
    create schema app authorization ${role.name};
    create schema other;
    grant usage on schema other to ${role.name};
  `);
  await run(role.url, `
    create table app.post (id serial primary key, title text);
    create type app.topic as enum ('discussion');
  `);
});

after(async () => {
  await db?.drop();
  await role?.drop();
});

const triggers = async (): Promise<string[]> =>
  (await run(db.url, 'select evtname from pg_event_trigger order by 1')).map((r) => String(r.evtname));

describe('installWatchFixtures', () => {
  it('refuses cleanly for a role that may not create event triggers', async () => {
    const res = await installWatchFixtures(role.url);
    assert.equal(res.ok, false);
    if (res.ok) return;
    assert.match(res.reason, /superuser/);
    assert.match(res.reason, new RegExp(role.name));
    assert.equal(res.sql, watchFixturesSql);
    assert.deepEqual(await triggers(), [], 'nothing half-installed');
    assert.equal((await run(db.url, `select 1 from pg_namespace where nspname = 'postgraphile_watch'`)).length, 0);
  });

  it('installs concurrently from several servers without errors', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => installWatchFixtures(db.url)));
    assert.deepEqual(results, Array.from({ length: 4 }, () => ({ ok: true })));
    assert.deepEqual(await triggers(), ['postgraphile_watch_ddl', 'postgraphile_watch_drop']);
    assert.deepEqual(await installWatchFixtures(db.url), { ok: true }, 'and again');
    assert.deepEqual(await triggers(), ['postgraphile_watch_ddl', 'postgraphile_watch_drop']);
  });

  it('replaces PostGraphile v4 fixtures (which filter by tag) with its own', async () => {
    await run(db.url, `
      drop event trigger postgraphile_watch_ddl;
      create event trigger postgraphile_watch_ddl on ddl_command_end when tag in ('ALTER TABLE')
        execute procedure postgraphile_watch.notify_watchers_ddl();
    `);
    assert.deepEqual(await installWatchFixtures(db.url), { ok: true });
    const rows = await run(db.url, `select evttags from pg_event_trigger where evtname = 'postgraphile_watch_ddl'`);
    assert.equal(rows[0].evttags, null);
  });

  it('lets a plain role use fixtures a superuser installed, and its DDL still works', async () => {
    await run(db.url, watchFixturesSql);
    assert.deepEqual(await installWatchFixtures(role.url), { ok: true });
    const calls: DdlEvent[][] = [];
    const hub = createNotifyHub({ connection: role.url, applicationName: 'forum-dev-watch-install-test' });
    const w = startDdlWatcher({
      source: { mode: 'listen', hub },
      schemas: ['app'],
      onChange: async (events) => void calls.push(events),
    });
    try {
      await hub.ready();
      await run(role.url, 'alter table app.post add column by_role int');
      await waitFor('the event', () => calls.some((c) => c.some((e) => e.identity === 'app.post')));
    } finally {
      await w.stop();
      await hub.close();
    }
  });
});

describe('DDL watcher (poll mode, no event-trigger privilege)', () => {
  async function fingerprint(c: Client): Promise<string> {
    return String((await c.query(fingerprintSql, [['app']])).rows[0].fingerprint);
  }

  it('changes its fingerprint for each kind of DDL, and not for other schemas or rollbacks', async () => {
    const c = new Client({ connectionString: role.url });
    await c.connect();
    try {
      const steps: Array<[string, boolean]> = [
        ['alter table app.post add column fp_a int', true],
        [`comment on column app.post.fp_a is 'A.'`, true],
        [`comment on column app.post.fp_a is 'B.'`, true],
        ['create function app.fp_f() returns int language sql as $$ select 1 $$', true],
        [`alter type app.topic add value 'fp_value'`, true],
        ['grant select on app.post to public', true],
        ['grant update (title) on app.post to public', true],
        ['alter table app.post rename column fp_a to fp_b', true],
        ['alter table app.post drop column fp_b', true],
        ['create table other.fp_elsewhere (id int)', false],
        ['begin; alter table app.post add column fp_rolled_back int; rollback', false],
        ['create temp table fp_tmp (id int)', false],
        ['select 1', false],
      ];
      // `other` has no CREATE for the role: use the superuser for that one.
      for (const [sql, changes] of steps) {
        const before = await fingerprint(c);
        if (sql.includes('other.')) await run(db.url, sql);
        else await c.query(sql);
        const after = await fingerprint(c);
        assert.equal(after !== before, changes, `${sql}: fingerprint ${changes ? 'should' : 'should not'} change`);
      }
    } finally {
      await c.end();
    }
  });

  it('sees an ADD COLUMN at the next poll, and nothing while nothing changes', async () => {
    const calls: DdlEvent[][] = [];
    const pool = new Pool({ connectionString: role.url, max: 1 });
    const w = startDdlWatcher({
      source: { mode: 'poll', pool },
      schemas: ['app'],
      pollIntervalMs: 100,
      onChange: async (events) => void calls.push(events),
    });
    try {
      // The first poll (the baseline fingerprint) has run once its connection is back in the pool.
      await waitFor('the baseline poll', () => pool.totalCount === 1 && pool.idleCount === 1, 20_000);
      assert.deepEqual(calls, []);
      await run(role.url, 'alter table app.post add column polled int');
      await waitFor('the poll to notice', () => calls.length === 1, 20_000);
      assert.deepEqual(calls[0], [{ type: 'poll' }]);
      await sleep(600);
      assert.equal(calls.length, 1, 'no further reloads without changes');
    } finally {
      await w.stop();
      await pool.end();
    }
  });
});
