// The issue-12 workloads' plans next to one hand-written statement each, on the benchmark data
// (bench/lib/forum-scale-data.sql: 1,000 people, 50,000 posts): EXPLAIN (ANALYZE, BUFFERS) of the
// statement forum-dev generates and of the hand-written one, run as the anonymous role, with the
// plan's node types, sort methods, rows read and buffers side by side.
// Run: node --import tsx bench/plans.ts   (TEST_DATABASE_URL to use an existing server)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbedded } from '../test/helpers/embedded';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../test/helpers/db';
import { compiledStatement, forumSql, root, startOurs } from '../test/e2e/setup';

interface Workload { query: string; variables?: Record<string, unknown>; hand: string; handValues: unknown[] }

const workloads: Record<string, Workload> = {
  W1: {
    query: '{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { nodes { id headline topic author: personByAuthorId { id fullName } } } }',
    hand: `select json_build_object('allPosts', json_build_object('nodes', coalesce(json_agg(json_build_object('id', p.id, 'headline', p.headline, 'topic', upper(p.topic::text), 'author', (select json_build_object('id', a.id, 'fullName', forum_example.person_full_name(a)) from forum_example.person a where a.id = p.author_id)) order by p.created_at desc, p.id), '[]')))::text from (select * from forum_example.post order by created_at desc, id limit 20) p`,
    handValues: [],
  },
  W2: {
    query: '{ allPeople(first: 10) { totalCount nodes { id fullName postsByAuthorId(first: 5) { totalCount nodes { headline summary } } } } }',
    hand: `select json_build_object('allPeople', json_build_object('totalCount', (select count(*) from forum_example.person)::int, 'nodes', coalesce(json_agg(json_build_object('id', pe.id, 'fullName', forum_example.person_full_name(pe), 'postsByAuthorId', json_build_object('totalCount', (select count(*) from forum_example.post x where x.author_id = pe.id)::int, 'nodes', (select coalesce(json_agg(json_build_object('headline', po.headline, 'summary', forum_example.post_summary(po)) order by po.id), '[]') from (select * from forum_example.post po where po.author_id = pe.id order by id limit 5) po))) order by pe.id), '[]')))::text from (select * from forum_example.person order by id limit 10) pe`,
    handValues: [],
  },
  W3: {
    query: 'query($id: Int!) { postById(id: $id) { id headline body personByAuthorId { firstName } } }',
    variables: { id: 1234 },
    hand: `select json_build_object('postById', (select json_build_object('id', p.id, 'headline', p.headline, 'body', p.body, 'personByAuthorId', (select json_build_object('firstName', a.first_name) from forum_example.person a where a.id = p.author_id)) from forum_example.post p where p.id = $1))::text`,
    handValues: [1234],
  },
  W4: {
    query: 'query($term: String!) { searchPosts(search: $term, first: 5) { edges { cursor node { headline } } pageInfo { hasNextPage } } }',
    variables: { term: 'GraphQL' },
    hand: `select json_build_object('searchPosts', json_build_object('edges', coalesce(json_agg(json_build_object('cursor', encode(convert_to('["natural",' || s.n || ']', 'utf8'), 'base64'), 'node', json_build_object('headline', s.headline)) order by s.n) filter (where s.n <= 5), '[]'), 'pageInfo', json_build_object('hasNextPage', count(*) > 5)))::text from (select p.headline, row_number() over () as n from forum_example.search_posts($1) p limit 6) s`,
    handValues: ['GraphQL'],
  },
};

interface PlanNode { 'Node Type': string; 'Sort Method'?: string; 'Actual Rows': number; 'Actual Loops': number; 'Relation Name'?: string; 'Function Name'?: string; Plans?: PlanNode[] }

/** `Seq Scan post ×50000 → Sort (top-N heapsort) → Limit …`: the nodes that read or sort rows. */
function summary(p: PlanNode): string {
  const out: string[] = [];
  const walk = (n: PlanNode) => {
    (n.Plans ?? []).forEach(walk);
    if (/Scan|Sort|WindowAgg|Limit/.test(n['Node Type'])) {
      const what = n['Relation Name'] ?? n['Function Name'] ?? '';
      const method = n['Sort Method'] ? ` (${n['Sort Method']})` : '';
      out.push(`${n['Node Type']}${what ? ` ${what}` : ''}${method} ×${n['Actual Rows'] * n['Actual Loops']}`);
    }
  };
  walk(p);
  return out.join(', ');
}

async function explain(c: Client, text: string, values: unknown[]) {
  await c.query('begin');
  try {
    await c.query('set local role forum_example_anonymous');
    for (let i = 0; i < 3; i++) await c.query(text, values); // warm
    const { rows } = await c.query(`explain (analyze, buffers, format json) ${text}`, values);
    const plan = rows[0]['QUERY PLAN'][0];
    const buffers = (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0);
    return { ms: plan['Execution Time'] as number, buffers, temp: plan.Plan['Temp Written Blocks'] ?? 0, nodes: summary(plan.Plan) };
  } finally {
    await c.query('rollback');
  }
}

async function main() {
  const embedded = process.env.TEST_DATABASE_URL ? null : await startEmbedded();
  if (embedded) process.env.TEST_DATABASE_URL = embedded.url;
  const db = uniqueName('bench_plans');
  const admin = await createDatabase(db, [forumSql[0]]);
  const c = new Client({ connectionString: admin });
  await c.connect();
  const ours = await startOurs(connectionAs(admin, 'forum_example_postgraphile', 'xyz'), { disableQueryLog: true });
  try {
    await c.query(readFileSync(join(root, 'bench/lib/forum-scale-data.sql'), 'utf8'));
    console.log('EXPLAIN (ANALYZE, BUFFERS): generated vs hand-written, 1,000 people / 50,000 posts');
    console.log('| workload | statement | ms | buffers | temp blocks | rows read and sorted |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [name, w] of Object.entries(workloads)) {
      const st = compiledStatement(ours.server, w.query, w.variables);
      for (const [label, text, values] of [['generated', st.text, st.values], ['hand-written', w.hand, w.handValues]] as const) {
        const e = await explain(c, text, values as unknown[]);
        console.log(`| ${name} | ${label} | ${e.ms.toFixed(2)} | ${e.buffers} | ${e.temp} | ${e.nodes} |`);
      }
    }
  } finally {
    await ours.close();
    await c.end();
    await dropDatabase(db);
    await embedded?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
