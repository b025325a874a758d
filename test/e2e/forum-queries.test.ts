// Every query of the forum tutorial (and pagination edge cases) against our server and
// PostGraphile v4 on the same database: the parsed responses must be equal, v4's response must
// equal the committed <name>.json, and our SQL must equal the committed <name>.sql.
//
//   UPDATE_SQL=1 npm test -- test/e2e/forum-queries.test.ts    rewrite the .sql files
//   UPDATE_JSON=1 npm test -- test/e2e/forum-queries.test.ts   rewrite the .json files from v4
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startV4, type V4Server } from '../helpers/v4';
import {
  compiledStatement, createForumDb, fixtureNames, forumV4Flags, loadFixture, recorded, root, startOurs, type ForumDb, type OurServer, type QueryFixture,
} from './setup';

const dir = join(root, 'test/fixtures/data/forum');
const names = fixtureNames(dir);

// Engine differences from v4 found by these fixtures, kept visible until fixed.
const known: Record<string, string> = {};

/** Our one statement for the operation, as the server compiles it. */
function ourSql(ours: OurServer, f: QueryFixture): string {
  return `${compiledStatement(ours.server, f.query, f.variables).text}\n`;
}

let db: ForumDb;
let ours: OurServer;
let v4: V4Server;

before(async () => {
  db = await createForumDb('queries');
  ours = await startOurs(db.url);
  v4 = await startV4({ connection: db.url, schemas: ['forum_example'], flags: forumV4Flags });
});

after(async () => {
  await v4?.stop();
  await ours?.close();
  await db?.drop();
});

test('the query fixtures exist', () => assert.ok(names.length >= 20, `${names.length} fixtures`));

for (const name of names) {
  test(`query ${name} answers like PostGraphile v4`, { todo: known[name] }, async () => {
    const f = loadFixture(dir, name);
    const [a, e] = await Promise.all([ours.graphql(f.query, f.variables), v4.graphql(f.query, f.variables)]);
    assert.equal(e.status, 200, JSON.stringify(e.body));
    assert.equal(e.body.errors, undefined, `v4 reported errors: ${JSON.stringify(e.body.errors)}`);

    const jsonFile = join(dir, `${name}.json`);
    const json = recorded(jsonFile, `${JSON.stringify(e.body, null, 2)}\n`, !!process.env.UPDATE_JSON, true)!;
    assert.deepEqual(e.body, JSON.parse(json), 'v4 no longer answers as recorded');

    const sqlFile = join(dir, `${name}.sql`);
    const text = ourSql(ours, f);
    const sql = recorded(sqlFile, text, !!process.env.UPDATE_SQL);
    assert.ok(sql !== undefined, `${sqlFile} is missing (run with UPDATE_SQL=1)`);
    assert.equal(text, sql, 'the generated SQL changed (run with UPDATE_SQL=1 if intended)');

    assert.equal(a.status, e.status);
    assert.deepEqual(a.body, e.body);
  });
}

test('responses are byte for byte the same as v4\'s', async () => {
  const raw = async (url: string, f: { query: string; variables: Record<string, unknown> }) => (await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: f.query, variables: f.variables }),
  })).text();
  for (const name of names) {
    const f = loadFixture(dir, name);
    const [a, e] = await Promise.all([raw(ours.url, f), raw(v4.url, f)]);
    assert.equal(a, e, name);
  }
});

test('cursors are stable across requests and accepted back', async () => {
  const q = '{ allPosts(orderBy: HEADLINE_ASC) { edges { cursor node { id } } } }';
  const [a1, a2, e] = await Promise.all([ours.graphql(q), ours.graphql(q), v4.graphql(q)]);
  assert.deepEqual(a1.body, a2.body);
  assert.deepEqual(a1.body, e.body);
  const edges = a1.body.data.allPosts.edges as Array<{ cursor: string; node: { id: number } }>;
  assert.equal(edges.length, 5);
  const next = `query($c: Cursor) { allPosts(orderBy: HEADLINE_ASC, first: 2, after: $c) { nodes { id } } }`;
  const [b, f] = await Promise.all([ours.graphql(next, { c: edges[1].cursor }), v4.graphql(next, { c: edges[1].cursor })]);
  assert.deepEqual(b.body, f.body);
  assert.deepEqual(b.body.data.allPosts.nodes.map((n: { id: number }) => n.id), edges.slice(2, 4).map((x) => x.node.id));
});

// The request shapes v4's HTTP handler takes besides a JSON object: form posts, a bare document
// as application/graphql, and variables sent as JSON text (an empty string is none).
test('form posts, application/graphql bodies and variables as JSON text answer as v4', async () => {
  const q = 'query ($n: Int) { allPeople(first: $n, orderBy: ID_ASC) { totalCount nodes { fullName } } }';
  const cases: Array<[string, string, string]> = [
    ['form', 'application/x-www-form-urlencoded', `query=${encodeURIComponent(q)}&variables=${encodeURIComponent('{"n":2}')}`],
    ['form without variables', 'application/x-www-form-urlencoded', `query=${encodeURIComponent(q)}&variables=`],
    ['document', 'application/graphql', '{ allPosts { totalCount } }'],
    ['variables as text', 'application/json', JSON.stringify({ query: q, variables: '{"n":1}' })],
    ['variables as an empty string', 'application/json', JSON.stringify({ query: q, variables: '' })],
    ['variables of the wrong type', 'application/json', JSON.stringify({ query: q, variables: 3 })],
    ['operation name of the wrong type', 'application/json', JSON.stringify({ query: q, operationName: 3 })],
  ];
  for (const [what, type, body] of cases) {
    const [a, e] = await Promise.all([ours.url, v4.url].map(async (url) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      return { status: res.status, body: await res.json() };
    }));
    assert.deepEqual(a, e, what);
  }
});
