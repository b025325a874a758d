// The shapes of the plans Postgres makes for our statements (not their speed): a page of a SQL
// function's rows inlines the function, so the scan can stop after the page; a page in an
// unindexed order keeps the `limit` right above the sort, so Postgres sorts top-N.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { compiledStatement, createForumDb, startOurs, type ForumDb, type OurServer } from './setup';

let db: ForumDb;
let ours: OurServer;
let client: Client;

before(async () => {
  db = await createForumDb('plans');
  ours = await startOurs(db.url);
  client = new Client({ connectionString: db.url });
  await client.connect();
});

after(async () => {
  await client?.end();
  await ours?.close();
  await db?.drop();
});

interface PlanNode { 'Node Type': string; 'Function Name'?: string; Plans?: PlanNode[] }

async function plan(query: string, variables?: Record<string, unknown>): Promise<PlanNode> {
  const st = compiledStatement(ours.server, query, variables);
  const { rows } = await client.query(`explain (format json) ${st.text}`, st.values);
  return rows[0]['QUERY PLAN'][0].Plan;
}

function nodes(p: PlanNode, parent: PlanNode | null = null, out: Array<{ node: PlanNode; parent: PlanNode | null }> = []) {
  out.push({ node: p, parent });
  for (const c of p.Plans ?? []) nodes(c, p, out);
  return out;
}

test('a page of a SQL function\'s rows inlines the function (no Function Scan)', async () => {
  const all = nodes(await plan('query($t: String!) { searchPosts(search: $t, first: 5) { edges { cursor node { headline } } pageInfo { hasNextPage } } }', { t: 'a' }));
  assert.deepEqual(all.filter((n) => n.node['Node Type'] === 'Function Scan').map((n) => n.node['Function Name']), []);
  assert.ok(all.some((n) => n.node['Node Type'] === 'Limit'), 'the page is a limit');
  // Rows in the function's own order need no sort, so the scan stops once the page is full.
  assert.deepEqual(all.filter((n) => n.node['Node Type'] === 'Sort').map((n) => n.parent?.['Node Type']), []);
});

test('a page in an unindexed order is a limit right above the sort (top-N)', async () => {
  const all = nodes(await plan('{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { nodes { id headline author: personByAuthorId { id fullName } } } }'));
  const sorts = all.filter((n) => n.node['Node Type'] === 'Sort');
  assert.equal(sorts.length, 1);
  assert.equal(sorts[0].parent?.['Node Type'], 'Limit');
});

test('no count is made unless totalCount is asked', async () => {
  const aggregates = async (q: string) => nodes(await plan(q)).filter((n) => n.node['Node Type'] === 'Aggregate').length;
  const without = await aggregates('{ allPosts(first: 2) { nodes { id } pageInfo { hasNextPage } } }');
  const withCount = await aggregates('{ allPosts(first: 2) { totalCount nodes { id } pageInfo { hasNextPage } } }');
  assert.equal(withCount, without + 1);
});

test('a relation in a nullable row runs once per row, not again for the row\'s null test', async () => {
  // no non-null field selected: v4 answers a row whose fields are all null as null, so the
  // columns are tested first and the relation only when they are all null
  const st = compiledStatement(ours.server, '{ allPosts { nodes { body personByAuthorId { firstName } } } }');
  const { rows } = await client.query(`explain (analyze, format json) ${st.text}`, st.values);
  const all = nodes(rows[0]['QUERY PLAN'][0].Plan as PlanNode) as Array<{ node: PlanNode & { 'Actual Loops'?: number; 'Relation Name'?: string } }>;
  const posts = (await client.query('select count(*)::int as n, count(body)::int as with_body from forum_example.post')).rows[0];
  assert.ok(posts.with_body > 0, 'the forum data has bodies');
  const personLoops = all.filter((n) => n.node['Relation Name'] === 'person').reduce((sum, n) => sum + (n.node['Actual Loops'] ?? 0), 0);
  // once per post for the field, and once more only for a post without a body
  assert.equal(personLoops, posts.n + (posts.n - posts.with_body));
});
