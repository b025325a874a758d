// The servers the comparison runs, each its own OS process (so its CPU and memory are its own):
// forum-dev from a fresh build of src (node bin/forum-dev.js), PostGraphile v4 from test/compat,
// PostGraphile v5 from bench/compat, and the raw limit (bench/lib/raw-server.ts, built too).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/helpers/port';
import { stopChild } from '../../test/helpers/v4';
import type { RawSpec } from './raw-server';

export const root = resolve(__dirname, '..', '..');
const benchCompat = join(root, 'bench', 'compat');
export const testCompat = join(root, 'test', 'compat');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface Target {
  name: string;
  url: string;
  pid: number;
  /** v5 gets its own query text (Amber names, aliased back). */
  v5: boolean;
  stop(): Promise<void>;
}

/** The comparison tools (v5, autocannon) and v4 live in their own installs, made on first use. */
export function ensureInstalls(): void {
  for (const [dir, marker] of [[benchCompat, 'autocannon'], [testCompat, 'postgraphile']]) {
    if (existsSync(join(dir, 'node_modules', marker))) continue;
    console.log(`# installing ${dir} (first use)`);
    const r = spawnSync(npm, ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm ci --prefix ${dir} failed`);
  }
}

/** Compiles src (for bin/forum-dev.js) and the raw server into dist/. */
export function build(): void {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'bench', 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building dist/ for the bench failed');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns a server and waits until `{__typename}` answers (its schema is built). */
async function startProcess(name: string, args: (port: number) => string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; v5?: boolean } = {}): Promise<Target> {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), { cwd: opts.cwd ?? root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}' });
      if (r.status === 200) {
        await r.text();
        return { name, url, pid: child.pid!, v5: !!opts.v5, stop: () => stopChild(child) };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stopChild(child);
  throw new Error(`${name} did not start:\n${out}`);
}

export interface TargetConfig {
  /** forum_example_postgraphile's connection string */
  connection: string;
  jwtSecret: string;
  clusterWorkers?: number;
}

const jwtFlags = (c: TargetConfig) => [
  '--default-role', 'forum_example_anonymous', '--jwt-secret', c.jwtSecret, '--jwt-token-identifier', 'forum_example.jwt_token',
];

/** Whether the built CLI has `--cluster-workers` (another change may add it). */
export function hasClusterFlag(): boolean {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'forum-dev.js'), '--help'], { encoding: 'utf8' });
  return /--cluster-workers/.test(r.stdout + r.stderr);
}

export function startForumDev(c: TargetConfig): Promise<Target> {
  const cluster = c.clusterWorkers ? ['--cluster-workers', String(c.clusterWorkers)] : [];
  // e.g. BENCH_FORUM_DEV_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under load
  const nodeArgs = process.env.BENCH_FORUM_DEV_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return startProcess(c.clusterWorkers ? `forum-dev ×${c.clusterWorkers}` : 'forum-dev', (port) => [
    ...nodeArgs, join(root, 'bin', 'forum-dev.js'), '-c', c.connection, '-s', 'forum_example', ...jwtFlags(c),
    '--host', '127.0.0.1', '--port', String(port), '--disable-query-log', ...cluster,
  ]);
}

export function startV4(c: TargetConfig): Promise<Target> {
  return startProcess('v4', (port) => [
    join(testCompat, 'node_modules', 'postgraphile', 'cli.js'), '-c', c.connection, '-s', 'forum_example', ...jwtFlags(c), '--host', '127.0.0.1', '--port', String(port), '--disable-query-log',
  ], { cwd: testCompat });
}

export function startV5(c: TargetConfig): Promise<Target> {
  return startProcess('v5', (port) => [join(benchCompat, 'v5-server.mjs'), c.connection, String(port)], {
    cwd: benchCompat, env: { BENCH_JWT_SECRET: c.jwtSecret, GRAPHILE_ENV: 'production' }, v5: true,
  });
}

/** The raw limit; `implicit`: its settings and statement in one implicit transaction (see raw-server.ts). */
export function startRaw(spec: RawSpec, specFile: string, implicit = false): Promise<Target> {
  writeFileSync(specFile, JSON.stringify(spec));
  return startProcess(implicit ? 'raw-implicit' : 'raw', (port) => [join(root, 'dist', 'bench', 'lib', 'raw-server.js'), specFile, String(port), ...(implicit ? ['implicit'] : [])]);
}
