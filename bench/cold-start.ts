// Cold start: from spawning the server process to its first answer, on the forum example and on
// a generated schema of 300 tables, for forum-dev (built from src) and PostGraphile v4. Each
// run is a fresh process on a database that is already up (the embedded database's own start is
// not counted); runs alternate between the targets and the median is reported.
//
//   npm run bench -- cold-start            (BENCH_COLD_RUNS=7 runs per target, default 5)
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../test/helpers/db';
import { startEmbedded } from '../test/helpers/embedded';
import { forumSql } from '../test/e2e/setup';
import { freePort } from '../test/helpers/port';
import { stopChild } from '../test/helpers/v4';
import { build, ensureInstalls, root, testCompat } from './lib/compare-targets';
import { stats, wideSchemaSql } from './watch';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);

interface Server { name: string; args: (port: number) => string[]; cwd?: string }

/** Milliseconds from spawn to the first HTTP 200 for `{__typename}` (polled every 2 ms). */
async function coldStart(s: Server): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, s.args(port), { cwd: s.cwd ?? root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${s.name} exited: ${err}`);
      if (performance.now() - t0 > 60_000) throw new Error(`${s.name} did not answer within 60 s: ${err}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}',
        });
        await r.text();
        if (r.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await stopChild(child);
  }
}

async function main() {
  ensureInstalls();
  build();
  const embedded = process.env.TEST_DATABASE_URL ? null : await startEmbedded();
  if (embedded) process.env.TEST_DATABASE_URL = embedded.url;
  const forumDb = uniqueName('bench_cold_forum');
  const wideDb = uniqueName('bench_cold_wide');
  const wideFile = join(tmpdir(), `${wideDb}.sql`);
  writeFileSync(wideFile, wideSchemaSql(300));
  try {
    const forum = connectionAs(await createDatabase(forumDb, forumSql), 'forum_example_postgraphile', 'xyz');
    const wide = await createDatabase(wideDb, [wideFile]);
    const cases: Array<{ label: string; target: string; servers: Server[] }> = [
      { label: 'forum example', target: '≤ 300 ms', servers: [
        { name: 'forum-dev', args: (p) => [join(root, 'bin', 'forum-dev.js'), '-c', forum, '-s', 'forum_example', '--host', '127.0.0.1', '--port', String(p), '--disable-query-log'] },
        { name: 'v4', cwd: testCompat, args: (p) => [join(testCompat, 'node_modules', 'postgraphile', 'cli.js'), '-c', forum, '-s', 'forum_example', '--host', '127.0.0.1', '--port', String(p), '--disable-query-log'] },
      ] },
      { label: '300 tables', target: '≤ 800 ms', servers: [
        { name: 'forum-dev', args: (p) => [join(root, 'bin', 'forum-dev.js'), '-c', wide, '-s', 'wide', '--host', '127.0.0.1', '--port', String(p), '--disable-query-log'] },
        { name: 'v4', cwd: testCompat, args: (p) => [join(testCompat, 'node_modules', 'postgraphile', 'cli.js'), '-c', wide, '-s', 'wide', '--host', '127.0.0.1', '--port', String(p), '--disable-query-log'] },
      ] },
    ];
    console.log(`# ${RUNS} alternating runs per target, median ms from spawn to the first answer`);
    console.log('| schema | forum-dev | v4 | target |');
    console.log('| --- | ---: | ---: | --- |');
    for (const c of cases) {
      const times: Record<string, number[]> = {};
      await coldStart(c.servers[0]); // a first start warms the OS file cache for both
      for (let i = 0; i < RUNS; i++) {
        for (const s of c.servers) (times[s.name] ??= []).push(await coldStart(s));
      }
      console.log(`| ${c.label} | ${stats(times['forum-dev']).median.toFixed(0)} | ${stats(times.v4).median.toFixed(0)} | ${c.target} |`);
    }
  } finally {
    rmSync(wideFile, { force: true });
    await dropDatabase(forumDb);
    await dropDatabase(wideDb);
    await embedded?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
