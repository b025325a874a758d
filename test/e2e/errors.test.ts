// Bad requests and failing operations get clear errors with the right status, never a raw SQL
// error for forged input, and the server keeps answering afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createForumDb, post, startOurs, type ForumDb, type OurServer } from './setup';

let db: ForumDb;
let ours: OurServer;

before(async () => {
  db = await createForumDb('errors');
  ours = await startOurs(db.url);
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

async function stillAnswers(): Promise<void> {
  const r = await ours.graphql('{ allPosts { totalCount } }');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { data: { allPosts: { totalCount: 5 } } });
}

function firstError(body: any): { message: string; path?: unknown; locations?: unknown; extensions?: any } {
  assert.ok(Array.isArray(body?.errors) && body.errors.length > 0, `expected errors, got ${JSON.stringify(body)}`);
  assert.equal(typeof body.errors[0].message, 'string');
  return body.errors[0];
}

test('malformed JSON body is a 400 JSON error', async () => {
  const r = await post(ours.url, '{"query": "{ allPosts { totalCount } }"');
  assert.equal(r.status, 400);
  firstError(r.body);
  await stillAnswers();
});

test('a missing query is a 400', async () => {
  const r = await post(ours.url, JSON.stringify({ variables: {} }));
  assert.equal(r.status, 400);
  assert.match(firstError(r.body).message, /query/i);
  await stillAnswers();
});

test('a syntax error is a 400 with its location', async () => {
  const r = await ours.graphql('{ allPosts { totalCount }');
  assert.equal(r.status, 400);
  const e = firstError(r.body);
  assert.match(e.message, /^Syntax Error/);
  assert.deepEqual(e.locations, [{ line: 1, column: 26 }]);
  await stillAnswers();
});

test('an unknown field is a 400', async () => {
  const r = await ours.graphql('{ allPosts { totalCount nope } }');
  assert.equal(r.status, 400);
  assert.match(firstError(r.body).message, /Cannot query field "nope" on type "PostsConnection"/);
  await stillAnswers();
});

test('a variable of the wrong type: 400 for the GraphQL-over-HTTP media type, 200 for plain JSON as in v4', async () => {
  const query = 'query($id: Int!) { personById(id: $id) { id } }';
  const spec = await ours.graphql(query, { id: 'one' }, { accept: 'application/graphql-response+json' });
  assert.equal(spec.status, 400);
  assert.match(firstError(spec.body).message, /\$id/);
  const plain = await ours.graphql(query, { id: 'one' }, { accept: 'application/json' });
  assert.equal(plain.status, 200);
  assert.match(firstError(plain.body).message, /\$id/);
  assert.equal((plain.body as { data?: unknown }).data, undefined, 'no execution happened');
  await stillAnswers();
});

test('the response media type follows the Accept header', async () => {
  const spec = await fetch(ours.url, {
    method: 'POST', body: JSON.stringify({ query: '{ __typename }' }),
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9' },
  });
  assert.match(spec.headers.get('content-type') ?? '', /^application\/graphql-response\+json/);
  const plain = await fetch(ours.url, { method: 'POST', body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': 'application/json' } });
  assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
});

test('a forged cursor is a GraphQL error, not an SQL error', async () => {
  for (const cursor of ['bm90IGpzb24=', '!!!', Buffer.from('["nope"]').toString('base64')]) {
    const r = await ours.graphql('query($c: Cursor) { allPosts(after: $c) { nodes { id } } }', { c: cursor });
    assert.equal(r.status, 200);
    const e = firstError(r.body);
    assert.deepEqual(e.path, ['allPosts']);
    assert.match(e.message, /cursor/i);
    assert.equal(e.extensions?.code, undefined, `no SQL error for ${cursor}: ${e.message}`);
    assert.deepEqual(r.body.data, { allPosts: null });
  }
  await stillAnswers();
});

test('a cursor with a value of the wrong type is refused before SQL, on its field only', async () => {
  const c = Buffer.from('["primary_key_asc",["x"]]').toString('base64');
  const r = await ours.graphql('query($c: Cursor) { allPosts(after: $c) { nodes { id } } personById(id: 1) { id } }', { c });
  const e = firstError(r.body);
  // v4 passes PostgreSQL's "invalid input syntax for type integer" through; we never send it.
  assert.match(e.message, /Invalid cursor/);
  assert.equal(e.extensions?.code, undefined, 'no SQLSTATE: no SQL ran');
  assert.deepEqual(e.path, ['allPosts']);
  assert.deepEqual(r.body.data, { allPosts: null, personById: { id: 1 } });
  await stillAnswers();
});

test('a forged nodeId is a clear error; a well-formed one of another type is null, as in v4', async () => {
  const garbage = await ours.graphql('query($n: ID!) { person(nodeId: $n) { id } }', { n: 'not base64 json' });
  assert.equal(garbage.status, 200);
  const e = firstError(garbage.body);
  assert.deepEqual(e.path, ['person']);
  assert.match(e.message, /nodeId/);
  assert.equal(e.extensions?.code, undefined, e.message);
  for (const id of [['nothing', 1], ['people', 1]]) {
    const r = await ours.graphql('query($n: ID!) { post(nodeId: $n) { id } }', { n: Buffer.from(JSON.stringify(id)).toString('base64') });
    assert.deepEqual(r.body, { data: { post: null } });
  }
  await stillAnswers();
});

test('a check constraint violation carries its path and locations, no extensions (as v4 by default)', async () => {
  const auth = await ours.graphql('mutation { authenticate(input: { email: "sara.powell@example.com", password: "password" }) { jwtToken } }');
  const token = auth.body.data.authenticate.jwtToken;
  const r = await ours.graphql(
    'mutation($h: String!) { createPost(input: { post: { authorId: 1, headline: $h } }) { post { id } } }',
    { h: 'x'.repeat(300) },
    { authorization: `Bearer ${token}` },
  );
  assert.equal(r.status, 200);
  const e = firstError(r.body);
  assert.equal(e.extensions, undefined);
  assert.deepEqual(e.path, ['createPost']);
  assert.deepEqual(e.locations, [{ line: 1, column: 25 }]);
  assert.match(e.message, /check constraint/);
  assert.deepEqual(r.body.data, { createPost: null });
  await stillAnswers();
});

test('GET: queries run, mutations and bare GETs are refused clearly, browsers go to GraphiQL', async () => {
  const q = await fetch(`${ours.url}?query=${encodeURIComponent('{ postById(id: 1) { id } }')}`);
  assert.deepEqual(await q.json(), { data: { postById: { id: 1 } } });
  const m = await fetch(`${ours.url}?query=${encodeURIComponent('mutation { __typename }')}`);
  assert.equal(m.status, 405);
  const bare = await fetch(ours.url, { headers: { accept: 'application/json' } });
  assert.equal(bare.status, 405);
  assert.match(firstError(await bare.json()).message, /POST/);
  const browser = await fetch(ours.url, { headers: { accept: 'text/html' }, redirect: 'manual' });
  assert.equal(browser.status, 302);
  assert.equal(browser.headers.get('location'), '/graphiql');
});

test('a root field failing inside Postgres fails alone; the other root fields keep their data', async () => {
  const r = await ours.graphql('{ a: allPosts(condition: {createdAt: "garbage"}) { totalCount } b: allPeople { totalCount } c: postById(id: 1) { headline } }');
  assert.equal(r.status, 200);
  const e = firstError(r.body);
  assert.match(e.message, /invalid input syntax for type timestamp/);
  assert.deepEqual(e.path, ['a']);
  assert.equal((r.body as any).errors.length, 1);
  // v4 reports "current transaction is aborted" for b and c; we run them on their own.
  assert.deepEqual((r.body as any).data, { a: null, b: { totalCount: 3 }, c: { headline: 'Hello, world!' } });
});
