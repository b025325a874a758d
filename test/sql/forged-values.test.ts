// Cursors and node ids are base64 JSON a client can forge. Values their key columns could never
// hold (integers past their type, fractions, positions past any row count) and node ids with the
// wrong number of keys are refused before any SQL runs, with the same errors as other forgeries;
// in range, they still work. Real server, real database, statements recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useForumServer } from '../e2e/setup';

const fx = useForumServer('forged');
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

async function refusedBeforeSql(query: string, variables: Record<string, unknown>, field: string, message: RegExp): Promise<void> {
  fx.statements.take();
  const r = await fx.ours.graphql(query, variables);
  assert.equal(r.status, 200);
  const e = r.body.errors?.[0];
  assert.ok(e, `${JSON.stringify(variables)}: no error in ${JSON.stringify(r.body)}`);
  assert.match(e.message, message, JSON.stringify(variables));
  assert.equal(e.extensions?.code, undefined, `${JSON.stringify(variables)} reached Postgres: ${e.message}`);
  assert.deepEqual(e.path, [field]);
  assert.deepEqual(r.body.data, { [field]: null });
  // A mutation's transaction may have set its role and claims; nothing else ran.
  assert.deepEqual(fx.statements.take().filter((st) => !/^select set_config\(/.test(st)), [], 'no SQL ran');
}

/** The root `node` field answers null for any id naming no row, as v4 does; never an error. */
async function nodeIsNull(n: string): Promise<void> {
  const r = await fx.ours.graphql('query($n: ID!) { node(nodeId: $n) { nodeId } }', { n });
  assert.deepEqual(r.body, { data: { node: null } }, n);
}

const outOfRange = [2 ** 31, -(2 ** 31) - 1, 1.5, 1e300, '99999999999999999999', '1.0', true];

test('node ids with out-of-range, fractional or extra key values are refused before SQL (the root node field answers null, as v4)', async () => {
  for (const key of outOfRange) {
    const n = b64(['posts', key]);
    await refusedBeforeSql('query($n: ID!) { post(nodeId: $n) { id } }', { n }, 'post', /Invalid nodeId/);
    await nodeIsNull(n);
    await refusedBeforeSql('mutation($n: ID!) { deletePost(input: { nodeId: $n }) { clientMutationId } }', { n }, 'deletePost', /nodeId/);
  }
  for (const keys of [[1, 2], [1, 'x'], []]) {
    const n = b64(['posts', ...keys]);
    await refusedBeforeSql('query($n: ID!) { post(nodeId: $n) { id } }', { n }, 'post', /Invalid nodeId/);
    await nodeIsNull(n);
  }
  // In range they still work, including the largest int4 (no such row: null, no error).
  const ok = await fx.ours.graphql('query($a: ID!, $b: ID!) { a: post(nodeId: $a) { id } b: post(nodeId: $b) { id } }',
    { a: b64(['posts', 1]), b: b64(['posts', 2 ** 31 - 1]) });
  assert.deepEqual(ok.body, { data: { a: { id: 1 }, b: null } });
  // The statement log does see what runs (so "no SQL ran" above means something).
  assert.ok(fx.statements.take().some((st) => /forum_example/.test(st)));
  await fx.stillAnswers();
});

test('cursors with out-of-range, fractional or impossible values are refused before SQL', async () => {
  for (const key of outOfRange) {
    const c = b64(['primary_key_asc', [key]]);
    await refusedBeforeSql('query($c: Cursor) { allPosts(after: $c) { nodes { id } } }', { c }, 'allPosts', /Invalid cursor/);
  }
  // Positional cursors (function results) hold a row position: a non-negative safe integer.
  for (const position of [2 ** 70, 1.5, -1]) {
    const c = b64(['natural', position]);
    await refusedBeforeSql('query($c: Cursor) { searchPosts(search: "a", after: $c) { nodes { id } } }', { c }, 'searchPosts', /Invalid cursor/);
  }
  const page = await fx.ours.graphql('query($c: Cursor) { allPosts(after: $c) { nodes { id } } }', { c: b64(['primary_key_asc', [2 ** 31 - 1]]) });
  assert.deepEqual(page.body, { data: { allPosts: { nodes: [] } } });
  await fx.stillAnswers();
});
