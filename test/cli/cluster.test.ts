// `--cluster-workers N` through the real CLI: N worker processes serve the one port and each
// talks to PostgreSQL itself; SIGTERM stops them all; a worker that dies stops the cluster.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
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

async function startCli(workers: number, extra: string[] = []): Promise<Cli> {
  const port = await freePort();
  const child = spawn(process.execPath, [
    '--import', pathToFileURL(require.resolve('tsx')).href, join(root, 'src/cli/main.ts'),
    '-c', db.url, '-s', 'forum_example', '--host', '127.0.0.1', '-p', String(port), '--disable-query-log',
    '--cluster-workers', String(workers), ...extra,
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

  it('keeps LISTEN, the watch triggers and subscriptions working with one LISTEN connection in the primary', async () => {
    const cli = await startCli(2, ['--watch', '--simple-subscriptions', '--live', '--owner-connection', db.adminUrl]);
    const pg = new Client({ connectionString: db.adminUrl });
    await pg.connect();
    const sockets: WsClient[] = [];
    try {
      const workers = workerPids(cli.child.pid!);
      assert.equal(workers.length, 2);
      // Four sockets, accepted in turn: both workers hold subscriptions.
      for (let i = 0; i < 4; i++) {
        sockets.push(createClient({ url: cli.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false }));
      }
      const nextOf = (c: WsClient, query: string) => {
        const seen: unknown[] = [];
        let wake = () => undefined as void;
        c.subscribe({ query }, { next: (v) => { seen.push(v); wake(); }, error: (e) => { seen.push({ error: e }); wake(); }, complete: () => undefined });
        return async (n: number) => {
          while (seen.length < n) await new Promise<void>((r) => { wake = r; });
          return seen[n - 1];
        };
      };
      const listens = sockets.map((c) => nextOf(c, 'subscription { listen(topic: "cluster") { relatedNodeId } }'));
      const live = nextOf(sockets[1], 'subscription { personById(id: 1) { firstName } }');
      assert.deepEqual(await live(1), { data: { personById: { firstName: 'Sara' } } });
      // A notification sent before the primary LISTENs to the topic is lost (as in Postgres),
      // so send until every socket has had one.
      const got = listens.map((next) => next(1));
      let all = false;
      void Promise.all(got).then(() => (all = true));
      while (!all) {
        await pg.query(`select pg_notify('postgraphile:cluster', '{}')`);
        await new Promise((res) => setTimeout(res, 100));
      }
      for (const g of got) assert.deepEqual(await g, { data: { listen: { relatedNodeId: null } } });
      const { rows } = await pg.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'forum-dev-notify'");
      assert.equal(rows[0].n, 1, 'one LISTEN connection for the whole cluster');

      // A live query on a worker sees a change made elsewhere.
      await pg.query("update forum_example.person set first_name = 'Sarah' where id = 1");
      assert.deepEqual(await live(2), { data: { personById: { firstName: 'Sarah' } } });

      // DDL: every worker reloads (each says so) and any worker serves the new field.
      await pg.query('alter table forum_example.post add column cluster_probe int');
      const deadline = Date.now() + 30_000;
      while ((cli.output().match(/\+ Post\.clusterProbe/g) ?? []).length < 2) {
        assert.ok(Date.now() < deadline, `both workers did not report the reload:\n${cli.output()}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      const answers = await Promise.all(Array.from({ length: 8 }, () => ask(cli.url, '{ postById(id: 2) { clusterProbe } }')));
      for (const a of answers) assert.deepEqual(a, { data: { postById: { clusterProbe: null } } });
    } finally {
      await Promise.all(sockets.map((c) => c.dispose()));
      await pg.query('alter table forum_example.post drop column if exists cluster_probe').catch(() => undefined);
      await pg.query("update forum_example.person set first_name = 'Sara' where id = 1").catch(() => undefined);
      await pg.end();
      cli.child.kill('SIGTERM');
    }
    assert.equal(await cli.exited, 0);
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
