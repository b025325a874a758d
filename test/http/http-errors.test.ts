// HTTP answers at the edges, from a real server on a real database: documents nested past what
// the parser takes, methods the GraphQL route does not serve, tokens whose claims Postgres cannot
// hold, and a database that is down. Every answer is JSON with a GraphQL error and a fitting status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { JWT_SECRET, post, startOurs, useForumServer } from '../e2e/setup';
import { startDatabaseProxy } from '../helpers/proxy';

const fx = useForumServer('httperrors', { subscriptions: true, websocketOperations: 'all' });

test('documents nested past what the parser takes are a 400 GraphQL error, not a bare 500', async () => {
  const depth = 5000;
  const documents = [
    `{ ${'a{'.repeat(depth)}b${'}'.repeat(depth)} }`,
    `{ postById(id: ${'['.repeat(depth)}1${']'.repeat(depth)}) { id } }`,
  ];
  for (const query of documents) {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const r = await post(fx.ours.url, JSON.stringify({ query }), { accept });
      assert.equal(r.status, 400, `${accept}: ${JSON.stringify(r.body).slice(0, 200)}`);
      assert.match(r.body.errors[0].message, /nested too deeply/);
    }
  }
  // Nesting that may or may not pass the parser, depending on the stack left: whichever step
  // gives up, the answer is a GraphQL error that says why, never a stack-overflow message.
  for (const query of [`{ ${'query{'.repeat(2500)}__typename${'}'.repeat(2500)} }`, `{ ${'query{'.repeat(2500)}allPosts{totalCount}${'}'.repeat(2500)} }`]) {
    const r = await post(fx.ours.url, JSON.stringify({ query }));
    assert.ok(r.status === 200 || r.status === 400, String(r.status));
    if (r.body.errors) assert.doesNotMatch(r.body.errors[0].message, /call stack/);
    else assert.equal(typeof r.body.data, 'object');
  }
  await fx.stillAnswers();
});

test('PUT, DELETE and PATCH on the GraphQL route get a JSON 405 naming GET and POST', async () => {
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const res = await fetch(fx.ours.url, { method, headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get('allow'), 'GET, POST');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as { errors: Array<{ message: string }> };
    assert.match(body.errors[0].message, new RegExp(`${method} is not supported`));
  }
  await fx.stillAnswers();
});

test('a validly signed token whose claim holds U+0000 is a 400 JSON error on both transports', async () => {
  const token = jwt.sign({ aud: 'postgraphile', role: 'forum_example_person', person_id: 1, nickname: 'a\u0000b' }, JWT_SECRET);
  for (const accept of ['application/json', 'application/graphql-response+json']) {
    const r = await post(fx.ours.url, JSON.stringify({ query: '{ currentPerson { id } }' }), { accept, authorization: `Bearer ${token}` });
    assert.equal(r.status, 400, accept);
    assert.match(r.body.errors[0].message, /"nickname" holds the character U\+0000/);
  }
  // In a role claim as well, and over a mutation's transaction.
  const role = jwt.sign({ aud: 'postgraphile', role: 'forum_example_person\u0000' }, JWT_SECRET);
  const m = await post(fx.ours.url, JSON.stringify({ query: 'mutation { createPost(input: { post: { authorId: 1, headline: "x" } }) { clientMutationId } }' }), { authorization: `Bearer ${role}` });
  assert.equal(m.status, 400);
  assert.match(m.body.errors[0].message, /U\+0000/);
  // Over WebSocket the operation gets the error and the socket stays open.
  const ws = createClient({ url: fx.ours.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  try {
    for (let i = 0; i < 2; i++) {
      const result = await new Promise<any>((resolve, reject) => {
        ws.subscribe({ query: '{ currentPerson { id } }' }, { next: resolve, error: reject, complete: () => undefined });
      });
      assert.match(result.errors[0].message, /U\+0000/);
    }
  } finally {
    await ws.dispose();
  }
  await fx.stillAnswers();
});

test('with the database down, requests get a 503 with a clean message, then recover', async () => {
  const proxy = await startDatabaseProxy(fx.db.url);
  const ours = await startOurs(proxy.url(fx.db.url));
  try {
    assert.equal((await ours.graphql('{ allPosts { totalCount } }')).status, 200);
    await proxy.down();
    for (const [query, accept] of [
      ['{ allPosts { totalCount } }', 'application/json'],
      ['{ allPosts { totalCount } postById(id: 1) { id } }', 'application/graphql-response+json'],
      ['mutation { createPost(input: { post: { authorId: 1, headline: "x" } }) { clientMutationId } }', 'application/json'],
    ]) {
      const r = await post(ours.url, JSON.stringify({ query }), { accept });
      assert.equal(r.status, 503, `${query}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.errors[0].message, /database (cannot be reached|connection was lost)/);
      assert.doesNotMatch(JSON.stringify(r.body), /127\.0\.0\.1|ECONNREFUSED/);
    }
    await proxy.up();
    const back = await ours.graphql('{ allPosts { totalCount } }');
    assert.deepEqual(back.body, { data: { allPosts: { totalCount: 5 } } });
  } finally {
    await ours.close();
    await proxy.close();
  }
});
