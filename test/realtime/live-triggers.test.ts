import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { adminUrl, withDatabase } from '../helpers/db';
import { createLiveThrottle } from '../../src/realtime/live-throttle';
import { createNotifyHub, type NotifyHub } from '../../src/realtime/notify-hub';
import { installLiveTriggers, liveTriggersSql, LIVE_CHANNEL, type LiveTable } from '../../src/realtime/live-triggers';

const dbUrl = (name: string): string => withDatabase(adminUrl(), name);

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: dbUrl('postgres') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const suffix = randomBytes(4).toString('hex');
const dbName = `live_${suffix}`;
const writerRole = `live_writer_${suffix}`;
const url = dbUrl(dbName);
const tables: LiveTable[] = [
  { schema: 'app', table: 'post' },
  { schema: 'app', table: 'Weird Name' },
  { schema: 'app', table: 'v' }, // a view: skipped
  { schema: 'app', table: 'missing' }, // not there yet: skipped
];

let writer: Client;
let hub: NotifyHub;
const received: string[] = [];

/** Runs `fn`, then a marker NOTIFY; returns what arrived before the marker (delivery is in commit order). */
async function captured(fn: () => Promise<unknown>): Promise<string[]> {
  received.length = 0;
  await fn();
  await writer.query(`select pg_notify($1, 'marker')`, [LIVE_CHANNEL]);
  await waitFor('marker', () => received.includes('marker'));
  return received.slice(0, received.indexOf('marker'));
}

async function triggers(): Promise<Array<{ rel: string; oid: number; xmin: string }>> {
  const r = await writer.query(
    `select tgrelid::regclass::text as rel, oid::int, xmin::text from pg_trigger
      where tgname = '_forum_dev_live' order by 1`,
  );
  return r.rows;
}

async function ddlLog(): Promise<string[]> {
  return (await writer.query<{ tag: string }>('select tag from ddl_log order by id')).rows.map((r) => r.tag);
}

before(async () => {
  await admin(`create database ${dbName}`);
  await admin(`do $$ begin if not exists (select 1 from pg_roles where rolname = '${writerRole}') then create role ${writerRole}; end if; end $$`);
  writer = new Client({ connectionString: url });
  await writer.connect();
  await writer.query(`
    create schema app;
    create table app.post (id serial primary key, body text);
    create table app."Weird Name" (id int);
    create table public.other (id int);
    create view app.v as select * from app.post;
    grant usage on schema app to ${writerRole};
    grant insert, select on app.post to ${writerRole};
    grant usage on sequence app.post_id_seq to ${writerRole};
    create table ddl_log (id serial primary key, tag text);
    create function log_ddl() returns event_trigger language plpgsql as $$
      begin insert into public.ddl_log (tag) values (tg_tag); end $$;
  `);
  assert.deepEqual(await installLiveTriggers(url, tables), { ok: true });
  hub = createNotifyHub({ connection: url });
  hub.subscribe(LIVE_CHANNEL, (p) => received.push(p));
  await hub.ready();
});

after(async () => {
  await hub?.close();
  await writer?.end();
  await admin(`drop database if exists ${dbName} with (force)`);
  await admin(`drop role if exists ${writerRole}`);
});

describe('live triggers', () => {
  it('installs one statement-level trigger per existing table', async () => {
    assert.deepEqual((await triggers()).map((t) => t.rel), ['app."Weird Name"', 'app.post']);
    const r = await writer.query(`select tgtype from pg_trigger where tgname = '_forum_dev_live'`);
    // AFTER, FOR EACH STATEMENT, INSERT|DELETE|UPDATE|TRUNCATE
    assert.deepEqual(r.rows.map((row) => row.tgtype), [60, 60]);
  });

  it('notifies once per statement with the table name', async () => {
    assert.deepEqual(await captured(() => writer.query(`insert into app.post (body) values ('a'), ('b'), ('c')`)), ['app.post']);
    assert.deepEqual(await captured(() => writer.query(`update app.post set body = body || '!'`)), ['app.post']);
    assert.deepEqual(await captured(() => writer.query(`delete from app.post where body = 'a!'`)), ['app.post']);
    assert.deepEqual(await captured(() => writer.query(`truncate app.post`)), ['app.post']);
    assert.deepEqual(
      await captured(async () => {
        await writer.query(`insert into app.post (body) values ('x')`);
        await writer.query(`insert into app."Weird Name" values (1), (2)`);
        await writer.query(`insert into app.post (body) values ('y')`);
      }),
      ['app.post', 'app.Weird Name', 'app.post'],
    );
  });

  it('sends nothing for rolled-back statements or unwatched tables', async () => {
    assert.deepEqual(
      await captured(async () => {
        await writer.query('begin');
        await writer.query(`insert into app.post (body) values ('never')`);
        await writer.query('rollback');
        await writer.query('begin');
        await writer.query('savepoint s');
        await writer.query(`update app.post set body = 'never'`);
        await writer.query('rollback to savepoint s');
        await writer.query('commit');
        await writer.query(`insert into public.other values (1)`);
      }),
      [],
    );
    const r = await writer.query(`select count(*)::int as n from app.post where body = 'never'`);
    assert.equal(r.rows[0].n, 0);
  });

  it('folds repeated changes to one table within a transaction into one notification', async () => {
    assert.deepEqual(
      await captured(async () => {
        await writer.query('begin');
        await writer.query(`insert into app.post (body) values ('t1')`);
        await writer.query(`update app.post set body = 't2' where body = 't1'`);
        await writer.query(`insert into app."Weird Name" values (3)`);
        await writer.query('commit');
      }),
      ['app.post', 'app.Weird Name'],
    );
  });

  it('fires for a role without rights on the forum_dev_live schema', async () => {
    assert.deepEqual(
      await captured(async () => {
        await writer.query('begin');
        await writer.query(`set local role ${writerRole}`);
        await writer.query('set local search_path = app');
        await writer.query(`insert into post (body) values ('from writer')`);
        await writer.query('commit');
      }),
      ['app.post'],
    );
  });

  it('reinstalls idempotently without running DDL', async () => {
    const before = await triggers();
    const fn = await writer.query(`select xmin::text from pg_proc where oid = 'forum_dev_live.notify()'::regprocedure`);
    await writer.query(`create event trigger log_ddl_${suffix} on ddl_command_end execute function log_ddl()`);
    try {
      const results = await Promise.all([1, 2, 3].map(() => installLiveTriggers(url, tables)));
      assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
      await writer.query(liveTriggersSql(tables));
      assert.deepEqual(await triggers(), before);
      const fn2 = await writer.query(`select xmin::text from pg_proc where oid = 'forum_dev_live.notify()'::regprocedure`);
      assert.equal(fn2.rows[0].xmin, fn.rows[0].xmin);
      assert.deepEqual(await ddlLog(), [], 'no DDL on reinstall');

      // a table that appears later gets its trigger on the next install
      await writer.query('create table app.missing (id int)');
      assert.deepEqual(await installLiveTriggers(url, tables), { ok: true });
      assert.deepEqual((await triggers()).map((t) => t.rel), ['app."Weird Name"', 'app.missing', 'app.post']);
      assert.deepEqual(await ddlLog(), ['CREATE TABLE', 'CREATE TRIGGER']);
    } finally {
      await writer.query(`drop event trigger log_ddl_${suffix}`);
    }
  });

  it('drops triggers from tables no longer listed and repairs outdated ones', async () => {
    assert.deepEqual(await installLiveTriggers(url, [{ schema: 'app', table: 'post' }]), { ok: true });
    assert.deepEqual((await triggers()).map((t) => t.rel), ['app.post']);
    assert.deepEqual(await captured(() => writer.query(`insert into app."Weird Name" values (9)`)), []);

    // an older trigger without TRUNCATE is replaced in place
    await writer.query(`drop trigger _forum_dev_live on app.post`);
    await writer.query(
      `create trigger _forum_dev_live after insert on app.post for each statement execute function forum_dev_live.notify()`,
    );
    assert.deepEqual(await installLiveTriggers(url, tables), { ok: true });
    assert.deepEqual(await captured(() => writer.query('truncate app.post')), ['app.post']);
    assert.deepEqual(await captured(() => writer.query(`insert into app."Weird Name" values (10)`)), ['app.Weird Name']);

    assert.deepEqual(await installLiveTriggers(url, []), { ok: true });
    assert.deepEqual(await triggers(), []);
    assert.deepEqual(await installLiveTriggers(url, tables), { ok: true });
  });

  it('serialises concurrent first installs', async () => {
    const fresh = `${dbName}_fresh`;
    const freshUrl = dbUrl(fresh);
    try {
      for (let round = 0; round < 3; round++) {
        await admin(`drop database if exists ${fresh} with (force)`);
        await admin(`create database ${fresh}`);
        const c = new Client({ connectionString: freshUrl });
        await c.connect();
        await c.query('create table t (id int)');
        await c.end();
        const results = await Promise.all(
          Array.from({ length: 6 }, () => installLiveTriggers(freshUrl, [{ schema: 'public', table: 't' }])),
        );
        assert.deepEqual(results, Array.from({ length: 6 }, () => ({ ok: true })));
      }
    } finally {
      await admin(`drop database if exists ${fresh} with (force)`);
    }
  });

  it('reports a failure instead of throwing', async () => {
    const r = await installLiveTriggers(dbUrl(`${dbName}_nope`), tables);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /does not exist/);
  });
});

describe('live throttle', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** A run that records its start time and overlap, taking `ms` to finish. */
  async function waitUntil(ok: () => boolean): Promise<void> {
    for (let i = 0; i < 2000 && !ok(); i++) await sleep(5);
    assert.ok(ok(), 'the expected run never started');
  }

  function recorder(ms = 0) {
    const starts: number[] = [];
    let active = 0;
    let maxActive = 0;
    // The start time the throttle itself read: a reading of our own, a moment later, could sit
    // closer to the previous one than the throttle's whenever the process is descheduled between.
    const run = async (startedAt: number) => {
      starts.push(startedAt);
      maxActive = Math.max(maxActive, ++active);
      await sleep(ms);
      active--;
    };
    return { starts, run, maxActive: () => maxActive };
  }

  it('runs promptly when idle and folds a burst in one tick into one run', async () => {
    const th = createLiveThrottle({ minIntervalMs: 100 });
    const r = recorder();
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) th.schedule('k', r.run);
    await sleep(80);
    assert.equal(r.starts.length, 1);
    assert.ok(r.starts[0] - t0 < 1000, `first run after ${r.starts[0] - t0} ms`);
  });

  it('keeps runs of one key at least minIntervalMs apart with a guaranteed trailing run', async () => {
    const th = createLiveThrottle({ minIntervalMs: 100 });
    const r = recorder(5);
    const t0 = performance.now();
    let lastSchedule = 0;
    while (performance.now() - t0 < 1000) {
      th.schedule('k', r.run);
      lastSchedule = performance.now();
      await sleep(7);
    }
    await sleep(250);
    const gaps = r.starts.slice(1).map((s, i) => s - r.starts[i]);
    assert.ok(gaps.every((g) => g >= 100), `gaps ${gaps.map((g) => g.toFixed(1)).join(', ')}`);
    // At most one run per 100 ms (a loaded machine may run fewer, never more).
    assert.ok(r.starts.length >= 2 && r.starts.length <= 12, `${r.starts.length} runs in ~1 s`);
    assert.ok(r.starts[r.starts.length - 1] > lastSchedule, 'a run started after the last change');
  });

  it('never overlaps runs of one key and schedules exactly one run after changes during a run', async () => {
    const th = createLiveThrottle({ minIntervalMs: 10 });
    // Runs finish when the test says so, not after a time: the order of events is what is tested.
    const events: string[] = [];
    const gates: Array<() => void> = [];
    const run = async () => {
      events.push('start');
      await new Promise<void>((resolve) => gates.push(resolve));
      events.push('end');
    };
    th.schedule('k', run);
    await waitUntil(() => gates.length === 1); // the first run is in progress
    for (let i = 0; i < 5; i++) {
      th.schedule('k', run);
      await sleep(10);
    }
    assert.deepEqual(events, ['start'], 'no second run while the first is running');
    gates[0]();
    await waitUntil(() => gates.length === 2);
    gates[1]();
    await sleep(100);
    assert.deepEqual(events, ['start', 'end', 'start', 'end'], 'one trailing run for five changes during a run');
  });

  it('uses the most recently scheduled function for the trailing run', async () => {
    const th = createLiveThrottle({ minIntervalMs: 50 });
    const seen: string[] = [];
    th.schedule('k', async () => void seen.push('a'));
    await sleep(5);
    th.schedule('k', async () => void seen.push('b'));
    th.schedule('k', async () => void seen.push('c'));
    await sleep(200);
    assert.deepEqual(seen, ['a', 'c']);
  });

  it('runs different keys independently', async () => {
    const th = createLiveThrottle({ minIntervalMs: 100 });
    const a = recorder(50);
    const b = recorder(50);
    th.schedule('a', a.run);
    th.schedule('b', b.run);
    await sleep(20);
    assert.equal(a.starts.length + b.starts.length, 2, 'both keys run at once');
    await sleep(60);
  });

  it('cancel drops a waiting run and the trailing run of one in flight', async () => {
    const th = createLiveThrottle({ minIntervalMs: 100 });
    const r = recorder(50);
    th.schedule('k', r.run);
    th.cancel('k');
    await sleep(30);
    assert.equal(r.starts.length, 0);

    th.schedule('k', r.run);
    await sleep(10);
    th.schedule('k', r.run); // trailing
    th.cancel('k');
    await sleep(250);
    assert.equal(r.starts.length, 1);

    // re-scheduling while a cancelled run is still in flight waits for it
    th.schedule('k', r.run);
    await sleep(10);
    th.cancel('k');
    th.schedule('k', r.run);
    await sleep(250);
    assert.equal(r.starts.length, 3);
    assert.equal(r.maxActive(), 1);
  });

  it('keeps going after a run fails', async () => {
    const errors: unknown[] = [];
    const th = createLiveThrottle({ minIntervalMs: 20, onError: (_k, e) => errors.push(e) });
    let ok = 0;
    th.schedule('k', async () => {
      throw new Error('query failed');
    });
    await sleep(50);
    th.schedule('k', () => {
      throw new Error('sync throw');
    });
    await sleep(50);
    th.schedule('k', async () => void ok++);
    await sleep(100);
    assert.equal(errors.length, 2);
    assert.equal(ok, 1);
  });

  it('defaults to 100 ms between runs', async () => {
    const th = createLiveThrottle();
    const r = recorder();
    th.schedule('k', r.run);
    await sleep(5);
    th.schedule('k', r.run);
    await sleep(250);
    assert.equal(r.starts.length, 2);
    assert.ok(r.starts[1] - r.starts[0] >= 98);
  });
});
