// The tutorial's mutations over HTTP on our server and on PostGraphile v4, each on its own fresh
// forum database so both see the same state: registration, login, JWT-authenticated posting and
// the row-level-security refusals. Data is compared parsed; errors by message and path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { startV4, type GraphQLResponse, type V4Server } from '../helpers/v4';
import { createForumDb, forumV4Flags, JWT_SECRET, startOurs, type ForumDb, type OurServer } from './setup';

interface Side {
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  token?: string;
}

let dbs: ForumDb[] = [];
let ours: OurServer;
let v4: V4Server;
let sides: [Side, Side];

before(async () => {
  dbs = await Promise.all([createForumDb('mut_ours'), createForumDb('mut_v4')]);
  ours = await startOurs(dbs[0].url);
  v4 = await startV4({ connection: dbs[1].url, schemas: ['forum_example'], flags: forumV4Flags });
  sides = [{ graphql: ours.graphql }, { graphql: v4.graphql }];
});

after(async () => {
  await v4?.stop();
  await ours?.close();
  await Promise.all(dbs.map((d) => d.drop()));
});

/** What a client can rely on: data, and each error's message and path. */
function essential(r: GraphQLResponse): unknown {
  const body = r.body as { data?: unknown; errors?: Array<{ message: string; path?: unknown }> };
  return {
    status: r.status,
    data: body.data,
    errors: body.errors?.map((e) => ({ message: e.message, path: e.path })),
  };
}

/** Runs the same request on both servers (as each side's logged-in person when `auth`). */
async function both(query: string, variables?: Record<string, unknown>, auth = false): Promise<[GraphQLResponse, GraphQLResponse]> {
  const run = (s: Side) => s.graphql(query, variables, auth && s.token ? { authorization: `Bearer ${s.token}` } : undefined);
  return [await run(sides[0]), await run(sides[1])];
}

async function same(query: string, variables?: Record<string, unknown>, auth = false): Promise<any> {
  const [a, e] = await both(query, variables, auth);
  assert.deepEqual(essential(a), essential(e));
  return a.body;
}

const count = '{ allPosts { totalCount } post1: postById(id: 1) { headline } }';

test('registerPerson', async () => {
  const body = await same(`mutation($input: RegisterPersonInput!) {
    registerPerson(input: $input) { clientMutationId person { id firstName lastName fullName about } }
  }`, { input: { clientMutationId: 'r1', firstName: 'Bob', lastName: 'Mathers', email: 'bob@example.com', password: 'secret' } });
  assert.equal(body.data.registerPerson.person.id, 4);
});

test('authenticate with the right and a wrong password', async () => {
  const q = 'mutation($e: String!, $p: String!) { authenticate(input: { email: $e, password: $p }) { jwtToken } }';
  const wrong = await same(q, { e: 'bob@example.com', p: 'nope' });
  assert.equal(wrong.data.authenticate.jwtToken, null);
  const [a, e] = await both(q, { e: 'bob@example.com', p: 'secret' });
  const claims = [a, e].map((r) => jwt.verify(r.body.data.authenticate.jwtToken, JWT_SECRET) as Record<string, unknown>);
  const [ca, ce] = claims.map(({ iat, exp, ...rest }) => rest);
  assert.deepEqual(ca, ce);
  assert.equal(ca.person_id, 4);
  assert.ok(Math.abs(Number(claims[0].exp) - Number(claims[1].exp)) < 60, 'exp within a minute of v4');
  sides[0].token = a.body.data.authenticate.jwtToken;
  sides[1].token = e.body.data.authenticate.jwtToken;
});

test('currentPerson with a bearer token', async () => {
  const body = await same('{ currentPerson { id fullName } }', undefined, true);
  assert.deepEqual(body.data.currentPerson, { id: 4, fullName: 'Bob Mathers' });
});

const createPost = `mutation($post: PostInput!) {
  createPost(input: { post: $post }) {
    post { id headline body topic authorId }
    query { allPosts { totalCount } }
    personByAuthorId { id fullName }
    postEdge { cursor node { id } }
  }
}`;

test('createPost as yourself', async () => {
  const body = await same(createPost, { post: { authorId: 4, headline: 'Mine', body: 'Written by Bob', topic: 'SHOWCASE' } }, true);
  assert.equal(body.data.createPost.post.id, 6);
  assert.equal(body.data.createPost.query.allPosts.totalCount, 6);
});

test('createPost for someone else is refused by row level security', async () => {
  const body = await same(createPost, { post: { authorId: 1, headline: 'Forged' } }, true);
  assert.match(body.errors[0].message, /row-level security/);
  assert.equal((await same(count)).data.allPosts.totalCount, 6);
});

test('updatePostById and updatePost(nodeId) on your own post', async () => {
  const byId = await same(`mutation { updatePostById(input: { id: 6, postPatch: { headline: "Edited" } }) {
    post { id headline body } postEdge { cursor } } }`, undefined, true);
  assert.equal(byId.data.updatePostById.post.headline, 'Edited');
  const nodeId = Buffer.from(JSON.stringify(['posts', 6])).toString('base64');
  const byNode = await same(`mutation($n: ID!) { updatePost(input: { nodeId: $n, postPatch: { body: "Again" } }) {
    post { nodeId id headline body } } }`, { n: nodeId }, true);
  assert.equal(byNode.data.updatePost.post.body, 'Again');
});

test("updating another person's post changes nothing", async () => {
  const byId = await same('mutation { updatePostById(input: { id: 1, postPatch: { headline: "Hijacked" } }) { post { id } } }', undefined, true);
  assert.ok(byId.errors?.length);
  const nodeId = Buffer.from(JSON.stringify(['posts', 2])).toString('base64');
  const byNode = await same('mutation($n: ID!) { updatePost(input: { nodeId: $n, postPatch: { headline: "Hijacked" } }) { post { id } } }', { n: nodeId }, true);
  assert.ok(byNode.errors?.length);
  const after = await same('{ allPosts(condition: { headline: "Hijacked" }) { totalCount } postById(id: 1) { headline } }');
  assert.equal(after.data.allPosts.totalCount, 0);
});

test("deletePostById on your own post and on another person's", async () => {
  const other = await same('mutation { deletePostById(input: { id: 1 }) { deletedPostId post { id } } }', undefined, true);
  assert.ok(other.errors?.length);
  const own = await same('mutation { deletePostById(input: { id: 6 }) { deletedPostId post { id headline } query { allPosts { totalCount } } } }', undefined, true);
  assert.equal(own.data.deletePostById.post.id, 6);
  assert.equal((await same(count)).data.allPosts.totalCount, 5);
});

test('anonymous createPost is denied', async () => {
  const body = await same(createPost, { post: { authorId: 4, headline: 'Anonymous' } });
  assert.match(body.errors[0].message, /permission denied/);
  assert.equal((await same(count)).data.allPosts.totalCount, 5);
});
