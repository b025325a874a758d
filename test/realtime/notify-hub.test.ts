import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { adminUrl, withDatabase } from '../helpers/db';
import { createNotifyHub, type NotifyHub } from '../../src/realtime/notify-hub';

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

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const dbName = `notify_${randomBytes(4).toString('hex')}`;
const lateDbName = `${dbName}_late`;
const url = dbUrl(dbName);
let other: Client;
const hubs: NotifyHub[] = [];

function hub(log?: string[], connection = url): NotifyHub {
  const h = createNotifyHub({ connection, log: log ? (l) => log.push(l) : undefined });
  hubs.push(h);
  return h;
}

async function notify(channel: string, payload: string): Promise<void> {
  await other.query('select pg_notify($1, $2)', [channel, payload]);
}

async function hubBackends(db = dbName): Promise<number[]> {
  const r = await other.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = $1 and application_name = 'forum-dev-notify'`,
    [db],
  );
  return r.rows.map((row) => row.pid);
}

/** Sends `payload` on `channel`, then a marker on `markerChannel`; resolves once the marker arrived. */
async function notifyAndFence(channel: string, payload: string, markers: string[], markerChannel: string): Promise<void> {
  const want = markers.length + 1;
  await notify(channel, payload);
  await notify(markerChannel, 'fence');
  await waitFor('fence', () => markers.length >= want);
}

before(async () => {
  await admin(`create database ${dbName}`);
  other = new Client({ connectionString: url });
  await other.connect();
});

// Each test finds its hub's backend by application_name, so no hub outlives its test.
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

after(async () => {
  await other?.end();
  await admin(`drop database if exists ${dbName} with (force)`);
  await admin(`drop database if exists ${lateDbName} with (force)`);
});

describe('notify hub', () => {
  it('connects lazily and delivers a notification from another connection', async () => {
    const h = hub();
    assert.deepEqual(await hubBackends(), [], 'no connection before the first subscribe');
    const got: string[] = [];
    h.subscribe('postgraphile:foo', (p) => got.push(p));
    await h.ready();
    assert.equal((await hubBackends()).length, 1);
    await notify('postgraphile:foo', 'x');
    await waitFor('delivery', () => got.length === 1);
    assert.deepEqual(got, ['x']);
    await h.close();
    assert.deepEqual(await hubBackends(), []);
    assert.throws(() => h.subscribe('postgraphile:foo', () => undefined), /closed/);
  });

  it('shares one LISTEN between subscribers and UNLISTENs after the last leaves', async () => {
    const h = hub();
    const a: string[] = [];
    const b: string[] = [];
    const markers: string[] = [];
    h.subscribe('fence', (p) => markers.push(p));
    const unsubA = h.subscribe('postgraphile:topic', (p) => a.push(p));
    const unsubB = h.subscribe('postgraphile:topic', (p) => b.push(p));
    await h.ready();
    assert.deepEqual(await h.debugListeningChannels(), ['fence', 'postgraphile:topic']);
    assert.deepEqual([...h.channels].sort(), ['fence', 'postgraphile:topic']);

    await notifyAndFence('postgraphile:topic', '1', markers, 'fence');
    assert.deepEqual([a, b], [['1'], ['1']]);

    await unsubA();
    await unsubA(); // a second call is a no-op
    assert.deepEqual(await h.debugListeningChannels(), ['fence', 'postgraphile:topic']);
    await notifyAndFence('postgraphile:topic', '2', markers, 'fence');
    assert.deepEqual([a, b], [['1'], ['1', '2']]);

    await unsubB();
    assert.deepEqual(await h.debugListeningChannels(), ['fence']);
    assert.deepEqual([...h.channels], ['fence']);
    await notifyAndFence('postgraphile:topic', '3', markers, 'fence');
    assert.deepEqual([a, b], [['1'], ['1', '2']]);
  });

  it('converges on the right LISTEN set under rapid subscribe/unsubscribe', async () => {
    const h = hub();
    const names = ['c:0', 'c:1', 'c:2', 'c:3', 'c:4'];
    const live = new Map<string, Array<() => Promise<void>>>(names.map((n) => [n, []]));
    const pending: Promise<void>[] = [];
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let i = 0; i < 400; i++) {
      const name = names[rand(names.length)];
      const list = live.get(name)!;
      if (list.length > 0 && rand(2) === 0) pending.push(list.splice(rand(list.length), 1)[0]());
      else list.push(h.subscribe(name, () => undefined));
      if (i % 37 === 0) await new Promise((r) => setImmediate(r));
    }
    // subscribe, unsubscribe, subscribe again in one tick: must end up listening
    h.subscribe('c:flip', () => undefined)();
    const flip = h.subscribe('c:flip', () => undefined);
    // subscribe then unsubscribe in one tick: must end up not listening
    pending.push(h.subscribe('c:gone', () => undefined)());
    await Promise.all(pending);
    await h.ready();
    const expected = [...names.filter((n) => live.get(n)!.length > 0), 'c:flip'].sort();
    assert.deepEqual(await h.debugListeningChannels(), expected);
    assert.deepEqual([...h.channels].sort(), expected);
    await flip();
    for (const list of live.values()) await Promise.all(list.map((u) => u()));
    assert.deepEqual(await h.debugListeningChannels(), []);
  });

  it('isolates a throwing subscriber', async () => {
    const log: string[] = [];
    const h = hub(log);
    const got: string[] = [];
    h.subscribe('postgraphile:boom', () => {
      throw new Error('subscriber failure');
    });
    h.subscribe('postgraphile:boom', (p) => got.push(p));
    await h.ready();
    await notify('postgraphile:boom', 'a');
    await notify('postgraphile:boom', 'b');
    await waitFor('delivery', () => got.length === 2);
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(log.filter((l) => l.includes('subscriber failure')).length, 2);
  });

  it('quotes channel names and rejects names PostgreSQL would truncate', async () => {
    const h = hub();
    const odd = 'we"ird chan:Mixed';
    const got: string[] = [];
    h.subscribe(odd, (p) => got.push(p));
    await h.ready();
    assert.deepEqual(await h.debugListeningChannels(), [odd]);
    await notify(odd, 'ok');
    await waitFor('delivery', () => got.length === 1);
    assert.throws(() => h.subscribe('x'.repeat(64), () => undefined), /invalid notification channel/);
    assert.throws(() => h.subscribe('', () => undefined), /invalid notification channel/);
    h.subscribe('x'.repeat(63), () => undefined);
  });

  it('reconnects after its backend is terminated, re-LISTENs and calls onReconnect', async () => {
    const log: string[] = [];
    const h = hub(log);
    const got: string[] = [];
    let reconnects = 0;
    h.subscribe('postgraphile:a', (p) => got.push(p), () => reconnects++);
    h.subscribe('postgraphile:a', () => undefined, () => reconnects++);
    h.subscribe('postgraphile:b', (p) => got.push(p));
    await h.ready();
    const [pid] = await hubBackends();
    await notify('postgraphile:a', 'before');
    await waitFor('first delivery', () => got.length === 1);

    await other.query('select pg_terminate_backend($1)', [pid]);
    await waitFor('onReconnect', () => reconnects === 2);
    assert.ok(log.some((l) => l.includes('connection lost')), log.join('\n'));
    const pids = await hubBackends();
    assert.equal(pids.length, 1);
    assert.notEqual(pids[0], pid);
    assert.deepEqual(await h.debugListeningChannels(), ['postgraphile:a', 'postgraphile:b']);

    await notify('postgraphile:a', 'after-a');
    await notify('postgraphile:b', 'after-b');
    await waitFor('delivery after reconnect', () => got.length === 3);
    assert.deepEqual(got, ['before', 'after-a', 'after-b']);
    assert.equal(reconnects, 2, 'onReconnect once per subscriber');
  });

  it('retries the first connection with growing backoff until the database exists', async () => {
    const log: string[] = [];
    const times: number[] = [];
    const h = createNotifyHub({
      connection: dbUrl(lateDbName),
      log: (l) => {
        log.push(l);
        if (l.includes('connect failed')) times.push(Date.now());
      },
    });
    hubs.push(h);
    const got: string[] = [];
    h.subscribe('postgraphile:late', (p) => got.push(p));
    await waitFor('three failed attempts', () => times.length >= 3);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(gaps[0] >= 90 && gaps[1] >= 190, `backoff gaps ${gaps.join(', ')}`);
    await admin(`create database ${lateDbName}`);
    await h.ready();
    const late = new Client({ connectionString: dbUrl(lateDbName) });
    await late.connect();
    try {
      await late.query(`select pg_notify('postgraphile:late', 'finally')`);
      await waitFor('delivery', () => got.length === 1);
    } finally {
      await late.end();
    }
    await h.close();
  });

  it('delivers one NOTIFY to 1,000 subscribers quickly', async (t) => {
    const h = hub();
    const n = 1000;
    const counts = new Uint32Array(n);
    let received = 0;
    let lastAt = 0;
    let firstAt = 0;
    for (let i = 0; i < n; i++) {
      h.subscribe('postgraphile:many', () => {
        counts[i]++;
        if (received++ % n === 0) firstAt = performance.now();
        lastAt = performance.now();
      });
    }
    await h.ready();
    assert.deepEqual(await h.debugListeningChannels(), ['postgraphile:many']);

    const rounds = 22; // the first two warm up
    const total: number[] = [];
    const fanout: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const t0 = performance.now();
      await notify('postgraphile:many', String(r));
      await waitFor(`round ${r}`, () => received === r * n);
      if (r > 2) {
        total.push(lastAt - t0);
        fanout.push(lastAt - firstAt);
      }
    }
    assert.ok(counts.every((c) => c === rounds), 'every subscriber got every notification');
    const stat = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y);
      const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
      return { median: at(0.5), p99: at(0.99) };
    };
    const tt = stat(total);
    const ff = stat(fanout);
    const line =
      `1000 subscribers, ${total.length} notifies: notify-to-last-delivery median ${tt.median.toFixed(2)} ms, ` +
      `p99 ${tt.p99.toFixed(2)} ms; first-to-last delivery median ${ff.median.toFixed(3)} ms, p99 ${ff.p99.toFixed(3)} ms`;
    // Speed targets live in bench/subscriptions.ts; here the timing is only reported.
    t.diagnostic(line);
  });
});
