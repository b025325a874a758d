// HTTP answers at the edges, from a real server on a real database: documents nested past what
// the parser takes, methods the GraphQL route does not serve, tokens whose claims Postgres cannot
// hold, and a database that is down. Every answer is JSON with a GraphQL error and a fitting status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { post, useForumServer } from '../e2e/setup';

const fx = useForumServer('httperrors');

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
