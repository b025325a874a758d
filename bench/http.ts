// HTTP throughput and latency of forum-dev next to PostGraphile v4, on the forum example with
// more data: the same queries, the same concurrency, each server on the same database.
// Run: node --import tsx bench/http.ts   (TEST_DATABASE_URL to use an existing server)
import http from 'node:http';
import { Client } from 'pg';
import { startEmbedded } from '../test/helpers/embedded';
import { connectionAs, createDatabase, uniqueName } from '../test/helpers/db';
import { forumSql, forumV4Flags, startOurs } from '../test/e2e/setup';
import { startV4 } from '../test/helpers/v4';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const queries: Record<string, string> = {
  'one row': '{ personById(id: 1) { id fullName } }',
  'page of 20 posts': '{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { totalCount edges { cursor node { id headline summary personByAuthorId { fullName } } } pageInfo { hasNextPage endCursor } } }',
  'nested 10x10': '{ allPeople(first: 10) { nodes { id fullName postsByAuthorId(first: 10) { nodes { headline topic } } latestPost { headline } } } }',
};

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function load(url: string, query: string) {
  const body = JSON.stringify({ query });
  const latencies: number[] = [];
  let failures = 0;
  const until = Date.now() + DURATION_MS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < until) {
      const t = process.hrtime.bigint();
      const status = await request(url, body);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (status !== 200) failures++;
    }
  }));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { rps: Math.round(latencies.length / (DURATION_MS / 1000)), p50: pct(0.5), p99: pct(0.99), failures };
}

async function seed(adminUrl: string) {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`
    insert into forum_example.person (first_name, last_name, about)
      select 'First' || g, 'Last' || g, 'About ' || g from generate_series(1, 200) g;
    insert into forum_example.post (author_id, headline, body, topic, created_at)
      select 1 + (g % 200), 'Headline ' || g, repeat('Body text ', 20), 'discussion', now() - g * interval '1 minute'
      from generate_series(1, 5000) g;
    analyze;`);
  await c.end();
}

async function main() {
  const embedded = process.env.TEST_DATABASE_URL ? null : await startEmbedded();
  if (embedded) process.env.TEST_DATABASE_URL = embedded.url;
  const db = uniqueName('bench_http');
  const admin = await createDatabase(db, forumSql);
  await seed(admin);
  const app = connectionAs(admin, 'forum_example_postgraphile', 'xyz');
  const ours = await startOurs(app, { disableQueryLog: true });
  const v4 = await startV4({ connection: app, schemas: ['forum_example'], flags: forumV4Flags });
  const rows: string[] = [];
  try {
    for (const [name, query] of Object.entries(queries)) {
      await load(ours.url, query); // warm up both
      await load(v4.url, query);
      const a = await load(ours.url, query);
      const b = await load(v4.url, query);
      rows.push(`| ${name} | ${a.rps} | ${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} | ${b.rps} | ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} | ${a.failures + b.failures} |`);
    }
  } finally {
    await ours.close();
    await v4.stop();
    await embedded?.stop();
  }
  console.log(`HTTP, ${CONCURRENCY} concurrent clients, ${DURATION_MS / 1000} s per run (requests/s; latency p50 / p99 ms)`);
  console.log('| query | forum-dev req/s | forum-dev ms | v4 req/s | v4 ms | failed |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
