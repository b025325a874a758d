// v4's Explain over HTTP on a real forum database: `explain: [{query, plan}]` only when the
// server allows it (--allow-explain, or a function of the request) and the request sends
// `X-PostGraphile-Explain: on`; planned in the request's own transaction with its role and
// claims, never run twice (EXPLAIN, not ANALYZE). The answer's shape is compared with v4's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { startV4, type V4Server } from '../helpers/v4';
import { compiledStatement, createForumDb, forumV4Flags, JWT_SECRET, startOurs, type ForumDb, type OurServer } from '../e2e/setup';
import { parseOptions } from '../../src/cli/parse';

let db: ForumDb;
let v4db: ForumDb;
let off: OurServer;
let on: OurServer;
let byRequest: OurServer;
let v4: V4Server;

const EXPLAIN = { 'x-postgraphile-explain': 'on' };
const person1 = `Bearer ${jwt.sign({ aud: 'postgraphile', role: 'forum_example_person', person_id: 1 }, JWT_SECRET)}`;
const latest = '{ allPosts(first: 2, orderBy: ID_ASC) { nodes { id headline } } }';

before(async () => {
  [db, v4db] = await Promise.all([createForumDb('explain'), createForumDb('explain_v4')]);
  off = await startOurs(db.url);
  on = await startOurs(db.url, { allowExplain: true });
  byRequest = await startOurs(db.url, { allowExplain: (req: IncomingMessage) => req.headers['x-team'] === 'dev' });
  v4 = await startV4({ connection: v4db.url, schemas: ['forum_example'], flags: [...forumV4Flags, '--allow-explain', '--disable-graphiql'] });
});

after(async () => {
  await Promise.all([off?.close(), on?.close(), byRequest?.close(), v4?.stop()]);
  await Promise.all([db?.drop(), v4db?.drop()]);
});

test('--allow-explain is v4\'s flag and sets allowExplain', () => {
  assert.equal(parseOptions(['--allow-explain', '-c', 'postgres://x/y'], {}, process.cwd()).allowExplain, true);
  assert.equal(parseOptions(['-c', 'postgres://x/y'], {}, process.cwd()).allowExplain, false);
  // v4 refuses --allow-explain without --enhance-graphiql (or --disable-graphiql): its scripts pass both.
  assert.equal(parseOptions(['--allow-explain', '--enhance-graphiql', '-c', 'postgres://x/y'], {}, process.cwd()).allowExplain, true);
});

test('no explain without --allow-explain, nor without the header, nor with another value', async () => {
  const plain = await on.graphql(latest);
  assert.deepEqual(Object.keys(plain.body), ['data']);
  for (const [server, headers] of [[off, EXPLAIN], [on, {}], [on, { 'x-postgraphile-explain': 'yes' }]] as const) {
    const r = await server.graphql(latest, undefined, headers);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, plain.body, JSON.stringify(headers));
  }
});

test('a query: its one statement and plan, beside the same data, shaped as v4\'s', async () => {
  const plain = await on.graphql(latest);
  const r = await on.graphql(latest, undefined, EXPLAIN);
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body), ['data', 'explain']);
  assert.deepEqual(r.body.data, plain.body.data);
  assert.equal(r.body.explain.length, 1);
  const [entry] = r.body.explain;
  assert.deepEqual(Object.keys(entry), ['query', 'plan']);
  assert.equal(entry.query, compiledStatement(on.server, latest).text);
  assert.match(entry.plan, /Scan .*on post\b/);
  assert.doesNotMatch(entry.plan, /actual time|loops=/, 'EXPLAIN, not EXPLAIN ANALYZE');

  const theirs = await v4.graphql(latest, undefined, EXPLAIN);
  assert.deepEqual(Object.keys(theirs.body), ['data', 'explain']);
  assert.deepEqual(theirs.body.data, r.body.data);
  assert.deepEqual(Object.keys(theirs.body.explain[0]), ['query', 'plan']);
  assert.equal(typeof theirs.body.explain[0].plan, 'string');
  assert.deepEqual(Object.keys((await v4.graphql(latest)).body), ['data']);
});

test('errors before execution carry no explain; introspection alone ran no statement', async () => {
  const invalid = await on.graphql('{ allPosts { nope } }', undefined, EXPLAIN);
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.explain, undefined);
  const v4invalid = await v4.graphql('{ allPosts { nope } }', undefined, EXPLAIN);
  assert.equal(v4invalid.body.explain, undefined);
  const meta = '{ __schema { queryType { name } } }';
  const introspection = await on.graphql(meta, undefined, EXPLAIN);
  assert.deepEqual(introspection.body, { data: { __schema: { queryType: { name: 'Query' } } }, explain: [] });
  assert.deepEqual((await v4.graphql(meta, undefined, EXPLAIN)).body, introspection.body);
});

test('mutations are planned with the request\'s role and claims, and run once', async () => {
  const count = async () => (await on.graphql('{ allPosts { totalCount } }')).body.data.allPosts.totalCount as number;
  const before = await count();
  const created = await on.graphql(
    'mutation { createPost(input: { post: { authorId: 1, headline: "Explained", topic: HELP } }) { post { id headline } } }',
    undefined, { ...EXPLAIN, authorization: person1 },
  );
  assert.equal(created.body.errors, undefined, JSON.stringify(created.body));
  assert.equal(created.body.data.createPost.post.headline, 'Explained');
  assert.equal(await count(), before + 1, 'EXPLAIN of the insert did not insert');
  assert.ok(created.body.explain.some((e: { query: string; plan: string }) => /^\s*(with|insert)\b/i.test(e.query) && /Insert on post/.test(e.plan)),
    JSON.stringify(created.body.explain));

  // The update policy applies to forum_example_person only: its filter in the plan shows the
  // statement was planned as that role, with the claim setting in place.
  const id = created.body.data.createPost.post.id;
  const updated = await on.graphql(
    `mutation { updatePostById(input: { id: ${id}, postPatch: { headline: "Planned" } }) { post { headline } } }`,
    undefined, { ...EXPLAIN, authorization: person1 },
  );
  assert.equal(updated.body.data.updatePostById.post.headline, 'Planned');
  const update = updated.body.explain.find((e: { plan: string }) => /Update on post/.test(e.plan));
  assert.ok(update, JSON.stringify(updated.body.explain));
  assert.match(update.plan, /jwt\.claims\.person_id/);
  // The same statement planned as the anonymous default role has no such policy to apply.
  const anonymous = await on.graphql(
    `mutation { updatePostById(input: { id: ${id}, postPatch: { headline: "Nope" } }) { post { headline } } }`,
    undefined, EXPLAIN,
  );
  assert.match(anonymous.body.errors[0].message, /permission denied/);
  assert.ok(!anonymous.body.explain.some((e: { plan: string }) => /Update on post/.test(e.plan)));
  assert.deepEqual(Object.keys(anonymous.body), ['errors', 'data', 'explain']);
});

test('allowExplain as a function of the request decides per request, for the API and GraphiQL', async () => {
  const yes = await byRequest.graphql(latest, undefined, { ...EXPLAIN, 'x-team': 'dev' });
  assert.equal(yes.body.explain.length, 1);
  const no = await byRequest.graphql(latest, undefined, EXPLAIN);
  assert.deepEqual(Object.keys(no.body), ['data']);
  const config = async (headers: Record<string, string>) => {
    const html = await (await fetch(`${byRequest.server.url}/graphiql`, { headers })).text();
    return JSON.parse(/<script id="forum-dev-config" type="application\/json">(.*?)<\/script>/s.exec(html)![1]);
  };
  assert.equal((await config({ 'x-team': 'dev' })).allowExplain, true);
  assert.equal((await config({})).allowExplain, false);
});
