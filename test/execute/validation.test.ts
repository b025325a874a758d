// validateDocument runs graphql-js's rules with KnownTypeNamesRule made lazy (validation.ts):
// it must report exactly what graphql-js's validate reports, suggestions included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSchema, parse, validate } from 'graphql';
import { validateDocument } from '../../src/execute/validation';

const schema = buildSchema(`
  interface Node { id: ID! }
  type Post implements Node { id: ID! title: String }
  enum PostsOrderBy { TITLE_ASC TITLE_DESC }
  input PostCondition { title: String }
  type Query { node(id: ID!): Node posts(orderBy: [PostsOrderBy!], condition: PostCondition): [Post] }
`);

const documents = [
  '{ posts { id title } }',
  'query ($o: [PostsOrderBy!], $c: PostCondition) { posts(orderBy: $o, condition: $c) { title } }',
  'query ($o: [PostOrderBy!]) { posts(orderBy: $o) { title } }',
  'query ($c: PostCondtion, $x: Nope) { posts(condition: $c) { title } }',
  '{ node(id: "x") { ... on Pots { title } ...f } } fragment f on Nod { id }',
  '{ ... on Qery { posts { id } } }',
  'type Post2 { id: ID } query ($p: Post2) { posts { id } }',
  'query ($i: Int, $s: String, $b: Boolean, $f: Float, $d: ID) { posts { id } }',
];

test('the same errors as graphql-js, with and without unknown type names', () => {
  for (const text of documents) {
    const doc = parse(text);
    const expected = validate(schema, doc).map((e) => e.toJSON());
    assert.deepEqual(validateDocument(schema, doc).map((e) => e.toJSON()), expected, text);
  }
  // the unknown names are found, with graphql-js's suggestions
  const messages = validateDocument(schema, parse(documents[2])).map((e) => e.message);
  assert.ok(messages.includes('Unknown type "PostOrderBy". Did you mean "PostsOrderBy"?'), messages.join('\n'));
});
