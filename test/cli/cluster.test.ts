// `--cluster-workers N` through the real CLI: N worker processes serve the one port and each
// talks to PostgreSQL itself; SIGTERM stops them all; a worker that dies stops the cluster.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createForumDb, type ForumDb } from '../e2e/setup';
import { freePort } from '../helpers/port';

const root = resolve(__dirname, '..', '..');
let db: ForumDb;

interface Cli {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startCli(workers: number): Promise<Cli> {
  const port = await freePort();
  const child = spawn(process.execPath, [
    '--import', pathToFileURL(require.resolve('tsx')).href, join(root, 'src/cli/main.ts'),
    '-c', db.url, '-s', 'forum_example', '--host', '127.0.0.1', '-p', String(port), '--disable-query-log',
    '--cluster-workers', String(workers),
  ], { env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes('GraphQL API:')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the CLI did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}/graphql`, output: () => out, exited };
}

/** The CLI's worker processes: its children that were forked as cluster workers. */
function workerPids(primary: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return new RegExp(`^PPid:\\s+${primary}$`, 'm').test(readFileSync(`/proc/${pid}/status`, 'utf8')) &&
        readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').some((e) => e.startsWith('FORUM_DEV_CLUSTER_WORKER='));
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** How many TCP connections process `pid` has open to port `port` (from /proc, Linux). */
function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).filter((line) => {
    const f = line.trim().split(/\s+/);
    return f.length > 9 && f[2].endsWith(`:${hexPort}`) && f[3] === '01' && inodes.has(f[9]);
  }).length;
}

/** One request on its own connection, so the cluster can hand it to any worker. */
function ask(url: string, query: string): Promise<any> {
  return new Promise((res, rej) => {
    const body = JSON.stringify({ query });
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => {
      let text = '';
      r.on('data', (d) => (text += d));
      r.on('end', () => res(JSON.parse(text)));
    });
    req.on('error', rej);
    req.end(body);
  });
}

describe('--cluster-workers', () => {
  before(async () => {
    db = await createForumDb('cluster');
  });
  after(async () => {
    await db?.drop();
  });

  it('serves one port from N workers that each use the database, and SIGTERM stops them all', async () => {
    const cli = await startCli(2);
    try {
      assert.match(cli.output(), /Workers: +2 \(node:cluster\)/);
      const workers = workerPids(cli.child.pid!);
      assert.equal(workers.length, 2);
      const answers = await Promise.all(Array.from({ length: 24 }, () => ask(cli.url, '{ postById(id: 2) { headline } }')));
      for (const a of answers) assert.deepEqual(a, { data: { postById: { headline: 'Row Level Security' } } });
      // Connections are handed out in turn, so every worker answered some and opened its own pool.
      const pgPort = Number(new URL(db.url).port);
      for (const pid of workers) assert.ok(connectionsTo(pid, pgPort) > 0, `worker ${pid} has connections to PostgreSQL`);
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.equal(await cli.exited, 0);
    assert.deepEqual(workerPids(cli.child.pid!), []);
  });

  it('stops the cluster with exit code 1 when a worker dies', async () => {
    const cli = await startCli(2);
    const [first, second] = workerPids(cli.child.pid!);
    process.kill(first, 'SIGKILL');
    assert.equal(await cli.exited, 1);
    assert.match(cli.output(), /worker \d \(pid \d+\) exited \(SIGKILL\); stopping the cluster/);
    assert.equal(existsSync(`/proc/${second}`), false, 'the other worker was stopped too');
  });
});
