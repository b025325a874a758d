import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { startDdlWatcher, type DdlEvent, type DdlWatcherOptions } from '../../src/watch/ddl-watcher';
import { createNotifyHub } from '../../src/realtime/notify-hub';
import { installWatchFixtures } from '../../src/watch/install';
import { uniqueName } from '../helpers/db';
import { adminUrl, createTestDb, run, sleep, waitFor, type TestDb } from './support';

let db: TestDb;
let ddl: Client;
const reader = uniqueName('watch_reader');

before(async () => {
  db = await createTestDb('watch_listen');
  await run(db.url, `
    create schema app;
    create schema other;
    create table app.post (id serial primary key, title text);
    create type app.topic as enum ('discussion');
  `);
  await run(db.url, `create role ${reader} nologin`);
  const res = await installWatchFixtures(db.url);
  assert.deepEqual(res, { ok: true });
  ddl = new Client({ connectionString: db.url });
  await ddl.connect();
});

after(async () => {
  await ddl?.end();
  await db?.drop();
  await run(adminUrl(), `drop role if exists ${reader}`);
});

type Recorder = {
  calls: DdlEvent[][];
  startedAt: number[];
  stop(): Promise<void>;
};

let watcherNo = 0;
function record(extra: Partial<DdlWatcherOptions> & { slowMs?: number } = {}): Recorder & { appName: string } {
  const calls: DdlEvent[][] = [];
  const startedAt: number[] = [];
  const appName = `forum-dev-watch-test-${process.pid}-${++watcherNo}`;
  // The hub owns the connection, so it is the one that logs losing it.
  const hub = createNotifyHub({ connection: db.url, applicationName: appName, log: extra.log });
  const w = startDdlWatcher({
    source: { mode: 'listen', hub },
    schemas: ['app'],
    log: () => undefined,
    ...extra,
    onChange: async (events) => {
      startedAt.push(performance.now());
      calls.push(events);
      if (extra.slowMs) await sleep(extra.slowMs);
    },
  });
  return { calls, startedAt, stop: async () => { await w.stop(); await hub.close(); }, appName };
}

async function listening(appName: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = await run(db.url, `select 1 from pg_stat_activity where application_name = $1 and query ilike 'listen%'`, [appName]);
    if (rows.length > 0) return;
    await sleep(10);
  }
  throw new Error('watcher never started listening');
}

describe('DDL watcher (listen mode)', () => {
  it('reports each kind of DDL as an event', async () => {
    const r = record();
    await listening(r.appName);
    const cases: Array<[string, (e: DdlEvent) => boolean]> = [
      ['alter table app.post add column body text', (e) => e.command === 'ALTER TABLE' && e.identity === 'app.post'],
      ['alter table app.post rename column body to content', (e) => e.command === 'ALTER TABLE' && e.schema === 'app'],
      ['alter table app.post drop column content', (e) => e.type === 'drop' && e.identity === 'app.post.content'],
      ['create table app.comment (id int primary key)', (e) => e.command === 'CREATE TABLE' && e.identity === 'app.comment'],
      [`comment on table app.comment is 'A comment.'`, (e) => e.command === 'COMMENT' && e.identity === 'app.comment'],
      [`comment on table app.comment is 'A reply.'`, (e) => e.command === 'COMMENT'],
      ['create function app.two() returns int language sql as $$ select 2 $$', (e) => e.command === 'CREATE FUNCTION' && e.identity === 'app.two()'],
      [`alter type app.topic add value 'archived'`, (e) => e.command === 'ALTER TYPE' && e.identity === 'app.topic'],
      [`grant select on app.post to ${reader}`, (e) => e.command === 'GRANT' && e.schema == null],
      ['drop table app.comment', (e) => e.type === 'drop' && e.command === 'DROP TABLE' && e.identity === 'app.comment'],
      [`select pg_notify('postgraphile_watch', '{"type":"manual"}')`, (e) => e.type === 'manual'],
    ];
    for (const [sql, match] of cases) {
      const before = r.calls.length;
      await ddl.query(sql);
      await waitFor(`an event for: ${sql}`, () => r.calls.slice(before).some((c) => c.some(match)));
    }
    await r.stop();
  });

  it('ignores other schemas, rolled-back transactions and temporary tables', async () => {
    const r = record();
    await listening(r.appName);
    await ddl.query('create table other.elsewhere (id int)');
    await ddl.query('begin');
    await ddl.query('alter table app.post add column rolled_back int');
    await ddl.query('rollback');
    await ddl.query('create temp table scratch (id serial primary key)');
    await ddl.query('drop table scratch');
    await sleep(400);
    assert.deepEqual(r.calls, []);
    // Still alive: a relevant change gets through.
    await ddl.query('alter table app.post add column after_ignored int');
    await waitFor('the relevant change', () => r.calls.length === 1);
    await r.stop();
  });

  it('coalesces 50 statements in one transaction into one reload', async () => {
    const r = record();
    await listening(r.appName);
    const stmts = Array.from({ length: 50 }, (_, i) => `alter table app.post add column burst_${i} int;`);
    await ddl.query(`begin; ${stmts.join(' ')} commit;`);
    await waitFor('a reload', () => r.calls.length >= 1);
    await sleep(300);
    assert.ok(r.calls.length <= 2, `expected at most 2 reloads, got ${r.calls.length}`);
    assert.equal(r.calls.flat().filter((e) => e.identity === 'app.post').length >= 1, true);
    await r.stop();
  });

  it('coalesces 50 separate statements into very few reloads', async () => {
    // A quiet time long enough that a loaded machine's gaps between statements stay inside it.
    const r = record({ debounceMs: 1000, maxWaitMs: 60_000 });
    await listening(r.appName);
    for (let i = 0; i < 50; i++) await ddl.query(`comment on column app.post.title is 'version ${i}'`);
    await waitFor('a reload', () => r.calls.length >= 1);
    await sleep(300);
    assert.ok(r.calls.length <= 2, `expected at most 2 reloads, got ${r.calls.length}`);
    assert.equal(r.calls.flat().length, 50, 'every event is delivered to some reload');
    await r.stop();
  });

  it('runs exactly once more for events that arrive during a slow reload', async () => {
    const r = record({ slowMs: 400 });
    await listening(r.appName);
    await ddl.query('alter table app.post add column slow_a int');
    await waitFor('the first reload to start', () => r.calls.length === 1);
    await ddl.query('alter table app.post add column slow_b int');
    await ddl.query('alter table app.post add column slow_c int');
    await sleep(100);
    assert.equal(r.calls.length, 1, 'reloads never overlap');
    await waitFor('the second reload', () => r.calls.length === 2, 2000);
    await sleep(600);
    assert.equal(r.calls.length, 2);
    assert.equal(r.calls[1].length, 2, 'both events reach the second reload');
    await r.stop();
  });

  it('reconnects after its connection is terminated and asks for a full reload', async () => {
    const logs: string[] = [];
    const r = record({ log: (l) => logs.push(l) });
    await listening(r.appName);
    const killed = await run(db.url, 'select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1', [r.appName]);
    assert.equal(killed.length, 1);
    await waitFor('a reconnect event', () => r.calls.some((c) => c.some((e) => e.type === 'reconnect')), 20_000);
    assert.ok(logs.some((l) => /connection lost/.test(l)), JSON.stringify(logs));
    await listening(r.appName);
    const n = r.calls.length;
    await ddl.query('alter table app.post add column after_reconnect int');
    await waitFor('an event after reconnecting', () => r.calls.length > n && r.calls.at(-1)!.some((e) => e.command === 'ALTER TABLE'));
    await r.stop();
  });

  it('keeps notifications under 8000 bytes by truncating the list', async () => {
    const raw: string[] = [];
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => raw.push(n.payload ?? ''));
    await listener.query('listen postgraphile_watch');
    const r = record();
    await listening(r.appName);
    try {
      const cols = Array.from({ length: 120 }, (_, i) => `a_rather_long_serial_column_name_${i} serial`).join(', ');
      await ddl.query(`create table app.wide (${cols})`);
      await ddl.query('drop table app.wide');
      await waitFor('both notifications', () => raw.length >= 2);
      for (const text of raw) {
        assert.ok(Buffer.byteLength(text) < 8000, `payload of ${Buffer.byteLength(text)} bytes`);
        const msg = JSON.parse(text);
        assert.equal(msg.truncated, true);
        assert.ok(msg.payload.length > 10);
      }
      await waitFor('a reload for them', () => r.calls.flat().some((e) => e.type === 'drop'));
      assert.ok(r.calls.flat().some((e) => e.identity === 'app.wide'));
    } finally {
      await listener.end();
      await r.stop();
    }
  });

  it('logs a failing onChange and keeps going', async () => {
    const logs: string[] = [];
    let calls = 0;
    const appName = `forum-dev-watch-test-${process.pid}-failing`;
    const hub = createNotifyHub({ connection: db.url, applicationName: appName });
    const w = startDdlWatcher({
      source: { mode: 'listen', hub },
      schemas: ['app'],
      log: (l) => logs.push(l),
      onChange: async () => {
        calls++;
        if (calls === 1) throw new Error('introspection exploded');
      },
    });
    try {
      await listening(appName);
      await ddl.query('alter table app.post add column fail_a int');
      await waitFor('the failing reload', () => calls === 1);
      await ddl.query('alter table app.post add column fail_b int');
      await waitFor('the next reload', () => calls === 2);
      assert.ok(logs.some((l) => l.includes('introspection exploded')), JSON.stringify(logs));
    } finally {
      await w.stop();
      await hub.close();
    }
  });

  it('retries an unreachable database without throwing, and stops', async () => {
    const logs: string[] = [];
    const u = new URL(db.url);
    u.pathname = '/no_such_database_for_watch';
    const hub = createNotifyHub({ connection: u.toString(), log: (l) => logs.push(l) });
    const w = startDdlWatcher({ source: { mode: 'listen', hub }, schemas: ['app'], onChange: async () => undefined });
    await waitFor('two failed attempts', () => logs.filter((l) => /connect failed/.test(l)).length >= 2);
    await w.stop();
    await hub.close();
  });

  it('stops cleanly: no calls after stop()', async () => {
    const r = record();
    await listening(r.appName);
    await r.stop();
    await ddl.query('alter table app.post add column after_stop int');
    await sleep(200);
    assert.deepEqual(r.calls, []);
    const rows = await run(db.url, 'select 1 from pg_stat_activity where application_name = $1', [r.appName]);
    assert.equal(rows.length, 0, 'the LISTEN connection is closed');
  });

  it('reloads after each of 20 DDL commits (latency reported; targets live in bench/watch.ts)', async (t) => {
    const r = record();
    await listening(r.appName);
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const n = r.calls.length;
      await ddl.query(`alter table app.post add column lat_${i} int`);
      const committed = performance.now();
      await waitFor('the reload', () => r.calls.length > n);
      samples.push(r.startedAt[n] - committed);
    }
    await r.stop();
    samples.sort((a, b) => a - b);
    const median = (samples[9] + samples[10]) / 2;
    t.diagnostic(`commit -> onChange median ${median.toFixed(1)} ms (min ${samples[0].toFixed(1)}, max ${samples[19].toFixed(1)})`);
    assert.equal(samples.length, 20, 'every commit led to a reload');
  });
});
