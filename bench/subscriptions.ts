// Subscriptions benchmark: 1,000 graphql-ws clients (one WebSocket connection each, in a child
// process so their memory is not counted as the server's) subscribe to `listen(topic: "bench")`;
// then 20 NOTIFYs, one at a time. Measures the time from NOTIFY to all 1,000 having the event,
// and the server's memory per idle subscriber.
//
//   node --import tsx bench/subscriptions.ts          (SUBSCRIBERS=… NOTIFIES=… to change sizes)
//
// Uses TEST_DATABASE_URL (a superuser connection) when set, otherwise starts an embedded
// PostgreSQL 17. The selection is `relatedNodeId` only, so delivery is measured without SQL.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Client } from 'pg';
import { defaultOptions } from '../src/options';
import { createServer, type RunningServer } from '../src/server';
import { createDatabase, dropDatabase, uniqueName } from '../test/helpers/db';
import { startEmbedded, type Embedded } from '../test/helpers/embedded';

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 1000);
const NOTIFIES = Number(process.env.NOTIFIES ?? 20);
// BENCH_SELECTION=query adds a `query { … }` selection, so each event also runs SQL (one
// statement per event: identical subscribers share it).
const QUERY = process.env.BENCH_SELECTION === 'query'
  ? 'subscription { listen(topic: "bench") { relatedNodeId query { allPosts(first: 3) { nodes { headline } } } } }'
  : 'subscription { listen(topic: "bench") { relatedNodeId } }';
const root = join(__dirname, '..');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type FromChild = { kind: 'subscribed' } | { kind: 'event'; id: number; at: number[] } | { kind: 'error'; message: string };
type ToChild = { kind: 'start'; url: string; subscribers: number } | { kind: 'stop' };

// --- the client process ---
async function clientMain(): Promise<void> {
  const { createClient } = await import('graphql-ws');
  const WebSocket = (await import('ws')).default;
  const send = (m: FromChild) => process.send!(m);
  const seen = new Map<number, number[]>();
  const clients: Array<{ dispose(): void | Promise<void> }> = [];
  let total = 0;
  process.on('message', async (m: ToChild) => {
    if (m.kind === 'stop') {
      for (const c of clients) await c.dispose();
      process.exit(0);
    }
    total = m.subscribers;
    for (let i = 0; i < total; i += 100) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(total, i + 100); j++) {
        const c = createClient({ url: m.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
        clients.push(c);
        batch.push(new Promise<void>((resolve) => {
          const off = c.on('connected', () => { off(); resolve(); });
          c.subscribe({ query: QUERY }, {
            next: (r) => {
              const at = now();
              const nodeId = (r.data as { listen?: { relatedNodeId?: string } } | undefined)?.listen?.relatedNodeId;
              const id = nodeId ? (JSON.parse(Buffer.from(nodeId, 'base64').toString()) as [string, number])[1] : -1;
              let times = seen.get(id);
              if (!times) seen.set(id, (times = []));
              times.push(at);
              if (times.length === total) {
                seen.delete(id);
                send({ kind: 'event', id, at: times });
              }
            },
            error: (e) => send({ kind: 'error', message: String((e as Error)?.message ?? JSON.stringify(e)) }),
            complete: () => undefined,
          });
        }));
      }
      await Promise.all(batch);
    }
    send({ kind: 'subscribed' });
  });
}

// --- the server process ---
function gcNow(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function memory(gc: () => void): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function main(): Promise<void> {
  let embedded: Embedded | undefined;
  if (!process.env.TEST_DATABASE_URL) {
    embedded = await startEmbedded();
    process.env.TEST_DATABASE_URL = embedded.url;
  }
  const dbName = uniqueName('bench_subs');
  let server: RunningServer | undefined;
  let child: ChildProcess | undefined;
  let notifier: Client | undefined;
  let failed = false;
  try {
    const url = await createDatabase(dbName, [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')]);
    console.log(`# PostgreSQL: ${new URL(url).host}; node ${process.version}; ${SUBSCRIBERS} subscribers, ${NOTIFIES} NOTIFYs`);
    console.log(`# selection: ${QUERY}`);
    server = await createServer({
      ...defaultOptions, connection: url, schemas: ['forum_example'], simpleSubscriptions: true,
      host: '127.0.0.1', port: 0, disableQueryLog: true,
    });
    notifier = new Client({ connectionString: url });
    await notifier.connect();
    const gc = gcNow();
    const before = memory(gc);

    child = fork(__filename, ['client'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    const inbox: FromChild[] = [];
    let wake: (() => void) | null = null;
    child.on('message', (m: FromChild) => {
      inbox.push(m);
      wake?.();
    });
    const receive = async (kind: FromChild['kind'], ms: number): Promise<FromChild> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = inbox.findIndex((m) => m.kind === kind || m.kind === 'error');
        if (i >= 0) {
          const m = inbox.splice(i, 1)[0];
          if (m.kind === 'error') throw new Error(`client: ${m.message}`);
          return m;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${kind}`);
        await new Promise<void>((r) => { wake = r; setTimeout(r, left); });
        wake = null;
      }
    };
    const t0 = performance.now();
    child.send({ kind: 'start', url: `${server.url.replace('http', 'ws')}${defaultOptions.graphqlRoute}`, subscribers: SUBSCRIBERS } satisfies ToChild);
    await receive('subscribed', 120_000);
    // Connected is not yet subscribed server-side: warm-up NOTIFYs until one reaches everybody.
    for (let w = 0; ; w++) {
      await notifier.query(`select pg_notify('postgraphile:bench', $1)`, [JSON.stringify({ __node__: ['bench', -1000 - w] })]);
      try {
        await receive('event', 1000);
        break;
      } catch (e) {
        if (w > 30) throw e;
      }
    }
    const subscribeMs = performance.now() - t0;
    await sleep(500);
    inbox.length = 0;
    const after = memory(gc);

    const toAll: number[] = [];
    const each: number[] = [];
    let delivered = 0;
    for (let i = 0; i < NOTIFIES; i++) {
      const sent = now();
      await notifier.query(`select pg_notify('postgraphile:bench', $1)`, [JSON.stringify({ __node__: ['bench', i] })]);
      const m = (await receive('event', 10_000)) as Extract<FromChild, { kind: 'event' }>;
      if (m.id !== i) throw new Error(`expected event ${i}, got ${m.id}`);
      delivered += m.at.length;
      for (const at of m.at) each.push(at - sent);
      toAll.push(Math.max(...m.at) - sent);
      await sleep(50);
    }

    const heapPer = (after.heap - before.heap) / SUBSCRIBERS;
    const rssPer = (after.rss - before.rss) / SUBSCRIBERS;
    const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
    const rows: Array<[string, string, string, string]> = [
      ['subscribe all', `${subscribeMs.toFixed(0)} ms`, '', ''],
      ['delivered', `${delivered} / ${SUBSCRIBERS * NOTIFIES}`, 'all', ok(delivered === SUBSCRIBERS * NOTIFIES)],
      ['NOTIFY -> all received, median', `${pct(toAll, 50).toFixed(1)} ms`, '', ''],
      ['NOTIFY -> all received, p99', `${pct(toAll, 99).toFixed(1)} ms`, '<= 200 ms', ok(pct(toAll, 99) <= 200)],
      ['NOTIFY -> one client, median / p99', `${pct(each, 50).toFixed(1)} / ${pct(each, 99).toFixed(1)} ms`, '', ''],
      ['heap per idle subscriber', `${(heapPer / 1024).toFixed(1)} KB`, '<= 50 KB', ok(heapPer <= 50 * 1024)],
      ['rss per idle subscriber', `${(rssPer / 1024).toFixed(1)} KB`, '', ''],
    ];
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`);
    failed = delivered !== SUBSCRIBERS * NOTIFIES || pct(toAll, 99) > 200 || heapPer > 50 * 1024;
  } finally {
    if (child?.connected) {
      child.send({ kind: 'stop' } satisfies ToChild);
      await new Promise((r) => { child!.once('exit', r); setTimeout(r, 5000); });
    }
    child?.kill();
    await notifier?.end().catch(() => undefined);
    await server?.close();
    await dropDatabase(dbName).catch(() => undefined);
    await embedded?.stop();
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[2] === 'client') void clientMain();
else main().catch((e) => {
  console.error(e);
  process.exit(1);
});
