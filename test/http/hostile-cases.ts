// Hostile GraphQL requests against the forum example, shared by the HTTP and WebSocket tests:
// SQL-looking strings in every kind of argument, forged cursors and nodeIds, oversized numbers,
// invalid enums and dates, NUL bytes, huge variables, deep nesting, alias bombs, fragment
// cycles. Each must get a GraphQL answer (data or errors), never a crash, and change nothing.

export interface HostileCase {
  what: string;
  query: string;
  variables?: Record<string, unknown>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sqlish = [
  `'; drop table forum_example.post; --`,
  `" or 1=1 --`,
  `1); delete from forum_example.person; --`,
  `$$; truncate forum_example.post; $$`,
  `\\'; select pg_sleep(10); --`,
];

export function hostileCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const [i, s] of sqlish.entries()) {
    cases.push(
      { what: `string condition ${i}`, query: 'query($s: String) { allPosts(condition: {headline: $s}) { totalCount } }', variables: { s } },
      { what: `string literal ${i}`, query: `{ allPosts(condition: {headline: ${JSON.stringify(s)}}) { totalCount } }` },
      { what: `function argument ${i}`, query: 'query($s: String!) { searchPosts(search: $s) { totalCount } }', variables: { s } },
      { what: `enum-ish orderBy ${i}`, query: 'query($o: [PostsOrderBy!]) { allPosts(orderBy: $o) { totalCount } }', variables: { o: [s] } },
      { what: `enum condition ${i}`, query: 'query($t: PostTopic) { allPosts(condition: {topic: $t}) { totalCount } }', variables: { t: s } },
      { what: `cursor ${i}`, query: 'query($c: Cursor) { allPosts(after: $c) { totalCount } }', variables: { c: b64(JSON.stringify(['natural', s])) } },
      { what: `raw cursor ${i}`, query: 'query($c: Cursor) { allPosts(before: $c) { totalCount } }', variables: { c: s } },
      { what: `nodeId ${i}`, query: 'query($n: ID!) { post(nodeId: $n) { id } }', variables: { n: b64(JSON.stringify(['posts', s])) } },
      { what: `raw nodeId ${i}`, query: 'query($n: ID!) { node(nodeId: $n) { nodeId } }', variables: { n: s } },
      { what: `JSON-shaped input ${i}`, query: 'query($c: PostCondition) { allPosts(condition: $c) { totalCount } }', variables: { c: { [s]: 1, headline: { nested: s } } } },
      { what: `mutation input ${i}`, query: 'mutation($s: String!) { createPost(input: {post: {authorId: 1, headline: $s}}) { post { id } } }', variables: { s } },
      { what: `datetime condition ${i}`, query: 'query($d: Datetime) { allPosts(condition: {createdAt: $d}) { totalCount } }', variables: { d: s } },
    );
  }
  const forgedCursors = [
    b64(JSON.stringify(['natural', 1e308])), b64(JSON.stringify(['natural', -99999999999999999999])),
    b64(JSON.stringify(['primary_key_asc', [99999999999999999999]])), b64(JSON.stringify(['primary_key_asc', [1, 2, 3]])),
    b64('not json'), b64('null'), b64('[]'), b64('{"a":1}'), '%%%', '',
  ];
  for (const c of forgedCursors) {
    cases.push({ what: `forged cursor ${c}`, query: 'query($c: Cursor) { allPosts(after: $c, first: 2) { nodes { id } } }', variables: { c } });
  }
  const forgedIds = [
    b64(JSON.stringify(['posts', 99999999999999999999])), b64(JSON.stringify(['posts', 1, 2])), b64(JSON.stringify(['posts'])),
    b64(JSON.stringify(['people', 'x'])), b64(JSON.stringify(['nope', 1])), b64(JSON.stringify({ posts: 1 })), b64('[1e999]'), '==', 'WyJwb3N0cyIsMV0',
  ];
  for (const n of forgedIds) {
    cases.push(
      { what: `forged nodeId ${n}`, query: 'query($n: ID!) { node(nodeId: $n) { nodeId } }', variables: { n } },
      { what: `forged post nodeId ${n}`, query: 'query($n: ID!) { post(nodeId: $n) { id headline } }', variables: { n } },
      { what: `forged nodeId in a mutation ${n}`, query: 'mutation($n: ID!) { deletePost(input: {nodeId: $n}) { deletedPostId } }', variables: { n } },
    );
  }
  cases.push(
    { what: 'Int over 32 bits', query: '{ postById(id: 2147483648) { id } }' },
    { what: 'Int variable over 32 bits', query: 'query($i: Int!) { postById(id: $i) { id } }', variables: { i: 1e20 } },
    { what: 'huge first', query: '{ allPosts(first: 99999999999999999999) { totalCount } }' },
    { what: 'negative offset', query: '{ allPosts(offset: -5) { totalCount } }' },
    { what: 'float for Int', query: '{ allPosts(first: 1.5) { totalCount } }' },
    { what: 'Infinity-ish', query: 'query($i: Int) { allPosts(first: $i) { totalCount } }', variables: { i: '1e999' } },
    { what: 'invalid enum literal', query: '{ allPosts(orderBy: [NOPE]) { totalCount } }' },
    { what: 'invalid enum value', query: 'query($t: PostTopic) { allPosts(condition: {topic: $t}) { totalCount } }', variables: { t: 'nope' } },
    { what: 'invalid date', query: 'query($d: Datetime) { allPosts(condition: {createdAt: $d}) { totalCount } }', variables: { d: '2024-13-45T99:99' } },
    { what: 'date far out of range', query: 'query($d: Datetime) { allPosts(condition: {createdAt: $d}) { totalCount } }', variables: { d: '99999-01-01' } },
    { what: 'NUL in a string variable', query: 'query($s: String) { allPosts(condition: {headline: $s}) { totalCount } }', variables: { s: 'a\u0000b' } },
    { what: 'NUL in a string literal', query: '{ allPosts(condition: {headline: "a\\u0000b"}) { totalCount } }' },
    { what: 'NUL in a mutation', query: 'mutation { createPost(input: {post: {authorId: 1, headline: "x\\u0000"}}) { post { id } } }' },
    { what: 'NUL in the document', query: '{ allPosts { totalCount } }\u0000' },
    { what: 'NUL in a cursor', query: 'query($c: Cursor) { allPosts(after: $c) { totalCount } }', variables: { c: b64('["natural",\u00001]') } },
    { what: 'huge variables', query: 'query($s: String) { allPosts(condition: {headline: $s}) { totalCount } }', variables: { s: 'x'.repeat(60_000) } },
    { what: 'many unused variables', query: '{ __typename }', variables: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`v${i}`, i])) },
    { what: 'deeply nested variables', query: 'query($c: PostCondition) { allPosts(condition: $c) { totalCount } }', variables: { c: nestedObject(2000) } },
    { what: 'deep nesting', query: `{ ${'allPosts { nodes { personByAuthorId { postsByAuthorId { nodes { '.repeat(30)}id${' } } } } }'.repeat(30)} }` },
    { what: 'deep selection of __typename', query: `{ ${'query { '.repeat(300)}__typename${' }'.repeat(300)} }` },
    { what: 'alias bomb', query: `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: allPosts { totalCount }`).join(' ')} }` },
    { what: 'fragment cycle', query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' },
    { what: 'self fragment', query: '{ allPosts { nodes { ...P } } } fragment P on Post { id ...P }' },
    { what: 'fragment bomb', query: `{ ...F30 } fragment F0 on Query { __typename } ${Array.from({ length: 30 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`).join(' ')}` },
    { what: 'directive bomb', query: `{ __typename ${'@include(if: true) '.repeat(2000)} }` },
    { what: 'unknown operation', query: 'query A { __typename }' , variables: {} },
  );
  return cases;
}

function nestedObject(depth: number): unknown {
  let o: unknown = 'x';
  for (let i = 0; i < depth; i++) o = { headline: o };
  return o;
}
