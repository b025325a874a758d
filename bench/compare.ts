// The full comparison of issue 12: workloads W1-W6 on the same data (1,000 people, 50,000
// posts) against forum-dev, PostGraphile v4, PostGraphile v5 (Amber) and the raw limit (one
// hand-written statement per request), in alternating rounds after a warm-up, with autocannon.
// Each round runs one target alone (the others paused); the rounds' orders form a balanced Latin
// square, so over the default rounds (as many as targets, twice as many when odd) none always
// follows the same other.
// Reports req/s, p50/p99, errors, server and Postgres CPU per request, peak RSS and the ratios
// to the raw limit as Markdown, printed and written to BENCH_OUT.
//
//   npm run bench -- compare
//   BENCH_SECONDS=3 BENCH_ROUNDS=1 BENCH_WORKLOADS=W1,W3 BENCH_TARGETS=raw,forum-dev npm run bench -- compare
//
// Environment: BENCH_SECONDS per round (10), BENCH_ROUNDS (as many as balance the targets' order:
// their number when even, twice it when odd; 4 for the default four), BENCH_WARMUP_SECONDS (3),
// BENCH_CONNECTIONS (32), BENCH_WORKLOADS, BENCH_TARGETS (raw,v4,v5,forum-dev; also raw-implicit:
// the raw limit sent as forum-dev sends its statements, see bench/lib/raw-server.ts),
// BENCH_CLUSTER_WORKERS=N (adds forum-dev with --cluster-workers N), BENCH_FORUM_DEV_NODE_ARGS (node flags for the forum-dev server, e.g. --cpu-prof),
// BENCH_OUT (bench/results/compare.md), TEST_DATABASE_URL (an existing server instead of an
// embedded one; Postgres CPU is then only measured when that server runs on this machine).
import { deepStrictEqual } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../test/helpers/db';
import { startEmbedded } from '../test/helpers/embedded';
import { removeAddedPosts, seed } from './lib/compare-data';
import { formatReport, type Measured } from './lib/compare-report';
import * as targets from './lib/compare-targets';
import { JWT_SECRET, workloads, type Workload } from './lib/compare-workloads';
import { askOnce, prepare, runLoad, type RunResult } from './lib/load';
import { peakRssMiB, processTree, resetPeakRss, treeCpuSeconds } from './lib/proc';

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
// default: as many rounds as balance the order of the targets (4 for the default four)
const ROUNDS_ASKED = env.BENCH_ROUNDS === undefined ? undefined : Number(env.BENCH_ROUNDS);
const WARMUP = Number(env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
const CLUSTER = Number(env.BENCH_CLUSTER_WORKERS ?? 0);
const OUT = env.BENCH_OUT ?? join(targets.root, 'bench', 'results', 'compare.md');
const wantedWorkloads = env.BENCH_WORKLOADS?.split(',').map((s) => s.trim().toUpperCase());
const wantedTargets = (env.BENCH_TARGETS ?? 'raw,v4,v5,forum-dev').split(',').map((s) => s.trim());

const loadNow = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** The postmaster's pid: the parent of our own backend, when the server runs on this machine. */
async function postmasterPid(adminUrl: string): Promise<number | null> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query('select pg_backend_pid() as pid');
    const stat = readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  } finally {
    await c.end();
  }
}

/**
 * Waits (up to 10 s) until the targets and PostgreSQL are quiet: a server keeps working after
 * its load stops (V8 shrinks and collects a large heap), and on two cores that work would be
 * taken from the next target's round. Without this, whoever follows v5 paid for it.
 */
async function settle(pids: number[]): Promise<void> {
  const busy = () => pids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
  const until = Date.now() + 10_000;
  let last = busy();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    const now = busy();
    // under 5% of one core over the last quarter second
    if (now - last < 0.0125) return;
    last = now;
  }
}

/**
 * The targets' order in round `r`: rows of a balanced Latin square (a Williams design), so that
 * over `balancedRounds(n)` rounds each target runs equally often in each position and right
 * after each other target equally often. A fixed rotation had forum-dev always follow v5 and
 * the raw limit follow its own round. An odd number of targets needs twice as many rounds: the
 * second n are the first n reversed.
 */
function roundOrder<T>(list: T[], r: number): T[] {
  const n = list.length;
  // offsets 0, 1, n-1, 2, n-2, ...; row r adds r (for 4 targets: ABDC BCAD CDBA DACB)
  const row = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : i % 2 === 1 ? (i + 1) / 2 : n - i / 2));
  const order = row.map((x) => list[(x + r) % n]);
  return n % 2 === 1 && r % (2 * n) >= n ? order.reverse() : order;
}

const balancedRounds = (n: number) => (n % 2 === 0 ? n : 2 * n);

/**
 * Runs `fn` with the other targets paused (SIGSTOP, then SIGCONT). An idle server still works
 * after its load: v5, whose rounds came right before forum-dev's, used 40-130 ms of CPU during
 * each of them (V8 shrinking its heap), and whichever target followed it paid for it. Paused,
 * the others take nothing from the round; their connections simply wait.
 */
async function alone<T>(others: targets.Target[], fn: () => Promise<T>): Promise<T> {
  const pids = processTree(...others.map((x) => x.pid));
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // exited
      }
    }
  };
  signal('SIGSTOP');
  try {
    return await fn();
  } finally {
    signal('SIGCONT');
  }
}

/** Every target gives the raw limit's answer (or a right one, where answers legitimately differ). */
async function checkAnswers(w: Workload, list: targets.Target[]): Promise<void> {
  for (let i = 0; i < 4; i++) {
    let reference: { name: string; data: unknown } | undefined;
    for (const t of list) {
      const data = await askOnce(t, w, prepare(w, t, i + 1)[i]);
      if (!w.sameAnswer) continue;
      if (!reference) reference = { name: t.name, data };
      else {
        try {
          deepStrictEqual(data, reference.data);
        } catch {
          throw new Error(`${w.id}: ${t.name} answers request ${i} differently from ${reference.name}:\n` +
            `${JSON.stringify(data).slice(0, 600)}\nvs\n${JSON.stringify(reference.data).slice(0, 600)}`);
        }
      }
    }
  }
}

async function main() {
  targets.ensureInstalls();
  targets.build();
  const embedded = env.TEST_DATABASE_URL ? null : await startEmbedded();
  if (embedded) env.TEST_DATABASE_URL = embedded.url;
  const dbName = uniqueName('bench_compare');
  const started: targets.Target[] = [];
  try {
    const admin = await createDatabase(dbName, [join(targets.root, 'examples/forum/schema.sql')]);
    await seed(admin);
    const postmaster = await postmasterPid(admin);
    const config = { connection: connectionAs(admin, 'forum_example_postgraphile', 'xyz'), jwtSecret: JWT_SECRET };

    const ours = await targets.startForumDev(config);
    started.push(ours);
    const intro = workloads.find((w) => w.id === 'W6')!;
    const introAnswer = await (await fetch(ours.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: intro.query }) })).text();
    const list: targets.Target[] = [];
    for (const name of wantedTargets) {
      if (name === 'forum-dev') list.push(ours);
      else if (name === 'v4') list.push(await targets.startV4(config));
      else if (name === 'v5') list.push(await targets.startV5(config));
      else if (name === 'raw' || name === 'raw-implicit') {
        list.push(await targets.startRaw({
          connection: config.connection, jwtSecret: JWT_SECRET, defaultRole: 'forum_example_anonymous',
          statements: workloads.filter((w) => w.sql).map((w) => ({ query: w.query, sql: w.sql!, params: w.params ?? [] })),
          // {__typename} is how the bench sees that a server is up
          cached: [{ query: intro.query, answer: introAnswer }, { query: '{__typename}', answer: '{"data":{"__typename":"Query"}}' }],
        }, join(tmpdir(), `${dbName}-${name}.json`), name === 'raw-implicit'));
      } else throw new Error(`unknown target ${name} (raw, raw-implicit, forum-dev, v4, v5)`);
      if (list.at(-1) !== ours) started.push(list.at(-1)!);
    }
    if (CLUSTER) {
      if (targets.hasClusterFlag()) {
        const clustered = await targets.startForumDev({ ...config, clusterWorkers: CLUSTER });
        started.push(clustered);
        list.push(clustered);
      } else console.log(`# forum-dev has no --cluster-workers flag yet: BENCH_CLUSTER_WORKERS=${CLUSTER} skipped`);
    }

    const ROUNDS = ROUNDS_ASKED ?? balancedRounds(list.length);
    const balance = ROUNDS % balancedRounds(list.length) === 0 ? '' : ` (not a multiple of ${balancedRounds(list.length)}: the targets' order is not balanced)`;
    const header = `${cpus().length} cores, ${CONNECTIONS} connections, warm-up ${WARMUP} s, ${ROUNDS} alternating round(s)${balance} of ${SECONDS} s per target and workload; load average at start ${loadNow()}`;
    console.log(`# ${header}`);
    const measured: Measured[] = [];
    for (const w of workloads.filter((w) => !wantedWorkloads || wantedWorkloads.includes(w.id))) {
      await checkAnswers(w, list);
      const bodies = new Map(list.map((t) => [t, prepare(w, t)]));
      for (const t of list) {
        resetPeakRss(t.pid);
        await runLoad(t, w, bodies.get(t)!, { seconds: WARMUP, connections: CONNECTIONS, warmUp: true });
      }
      const runs = new Map<targets.Target, { results: RunResult[]; cpu: number; pgCpu: number }>(list.map((t) => [t, { results: [], cpu: 0, pgCpu: 0 }]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const t of roundOrder(list, r)) {
          await settle([...list.map((x) => x.pid), ...(postmaster ? [postmaster] : [])]);
          const cpu0 = treeCpuSeconds(t.pid);
          const pg0 = postmaster ? treeCpuSeconds(postmaster) : 0;
          const others = list.filter((x) => x !== t);
          const result = await alone(others, () => runLoad(t, w, bodies.get(t)!, { seconds: SECONDS, connections: CONNECTIONS }));
          const run = runs.get(t)!;
          run.cpu += treeCpuSeconds(t.pid) - cpu0;
          if (postmaster) run.pgCpu += treeCpuSeconds(postmaster) - pg0;
          run.results.push(result);
          console.log(`#   ${w.id} round ${r + 1} ${t.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
        }
      }
      for (const t of list) {
        const run = runs.get(t)!;
        measured.push({ workload: w, target: t.name, runs: run.results, cpuSeconds: run.cpu, pgCpuSeconds: postmaster ? run.pgCpu : null, peakRssMiB: peakRssMiB(t.pid) });
      }
      if (w.writes) console.log(`#   removed ${await removeAddedPosts(admin)} posts added by ${w.id}`);
    }
    const report = formatReport(measured, list.map((t) => t.name), `${header}; at the end ${loadNow()}`);
    console.log(`\n${report}`);
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, report);
    console.log(`# written to ${OUT}`);
  } finally {
    for (const t of started) await t.stop();
    await dropDatabase(dbName).catch(() => undefined);
    await embedded?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
