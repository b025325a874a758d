// Statement templates: for every request, the statement taken from a template is the one the
// compiler makes for that request's own variables (text and values), whether the variables are
// bound (ids, search terms), written into the text (`first`), decoded (node ids, cursors) or
// decide the selection (@include); and a bound-only variable really does reuse the template.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { Pool } from 'pg';
import { createTemplates, templateStatement } from '../../src/execute/templates';
import { introspect } from '../../src/introspection/introspect';
import { defaultOptions, resolveOptions, schemaOptions } from '../../src/options';
import { CONNECTION_FILTER } from '../../src/schema/filter-options';
import { makeSnapshot, type Snapshot } from '../../src/schema/snapshot';
import { compileQuery } from '../../src/sql/compile';
import type { CompiledSQL } from '../../src/sql/fragment';
import { createForumDb, startOurs, type ForumDb, type OurServer } from '../e2e/setup';

let db: ForumDb;
let snapshot: Snapshot;
/** The same database with v4's connection-filter plugin, whose operators transform values. */
let filtered: Snapshot;

before(async () => {
  db = await createForumDb('templates');
  const options = schemaOptions(resolveOptions({ ...defaultOptions, schemas: ['forum_example'] }));
  const pool = new Pool({ connectionString: db.url, max: 1 });
  try {
    snapshot = makeSnapshot(await introspect(pool, options.schemas, options), options, 1);
    const withFilter = schemaOptions(resolveOptions({ ...defaultOptions, schemas: ['forum_example'], appendPlugins: [CONNECTION_FILTER] }));
    filtered = makeSnapshot(await introspect(pool, withFilter.schemas, withFilter), withFilter, 1);
  } finally {
    await pool.end();
  }
});
after(async () => {
  await db?.drop();
});

const nodeId = (type: string, ...keys: unknown[]) => Buffer.from(JSON.stringify([type, ...keys])).toString('base64');

/** The compiler's own statement for `variables` (or the error it throws), and a compile function for templates. */
function compilerFor(query: string, on: Snapshot = snapshot) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  let calls = 0;
  const compile = (variables: Record<string, unknown>): CompiledSQL => {
    calls++;
    return compileQuery({ schema: on.schema, model: on.model, operation, fragments, variables, output: {} });
  };
  const coerce = (raw: Record<string, unknown>) => {
    const r = getVariableValues(on.schema, operation.variableDefinitions ?? [], raw);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.coerced!;
  };
  return { compile, coerce, calls: () => calls };
}

const outcome = (f: () => CompiledSQL | undefined) => {
  try {
    return { statement: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
};

/** Runs every variable set twice through one template cache; each answer must be the compiler's own. */
function check(query: string, sets: Array<Record<string, unknown>>, on: Snapshot = snapshot) {
  const { compile, coerce, calls } = compilerFor(query, on);
  const templates = createTemplates();
  for (const pass of [1, 2]) {
    for (const raw of sets) {
      const variables = coerce(raw);
      const direct = outcome(() => compileQuery({ schema: on.schema, model: on.model, operation: parse(query).definitions[0] as OperationDefinitionNode, fragments: {}, variables, output: {} }));
      const viaTemplate = outcome(() => templateStatement(templates, '', variables, compile));
      assert.ok(viaTemplate.error || viaTemplate.statement, `no statement for ${JSON.stringify(raw)}`);
      assert.deepEqual(viaTemplate, direct, `pass ${pass}, variables ${JSON.stringify(raw)}`);
    }
  }
  return calls();
}

describe('a statement from a template is the compiler\'s own for the request', () => {
  test('a bound id: compiled for the first request and its probe only, then reused', () => {
    const calls = check('query($id: Int!) { postById(id: $id) { id headline personByAuthorId { firstName } } }',
      [1, 2, 3, 4, 5, 99999].map((id) => ({ id })));
    assert.equal(calls, 2);
  });

  test('a bound search term and a page size written into the text', () => {
    const sets = ['a', 'b', 'ipsum'].flatMap((term) => [1, 2].map((n) => ({ term, n })));
    const calls = check('query($term: String!, $n: Int) { searchPosts(search: $term, first: $n) { nodes { headline } } }', sets);
    // one compile (and probes) per page size, none per term
    assert.ok(calls <= 2 * 4, `compiled ${calls} times`);
  });

  test('first, last and offset written into the text', () => {
    check('query($f: Int, $l: Int, $o: Int) { allPosts(first: $f, last: $l, offset: $o, orderBy: ID_ASC) { nodes { id } } }',
      [{ f: 1 }, { f: 2 }, { l: 1 }, { l: 3 }, { f: 2, o: 1 }, { f: 2, o: 3 }, { f: -1 }, { f: 1, l: 1 }]);
  });

  test('pages at other offsets or positions are the same statement with other values', () => {
    const texts = (query: string, sets: Array<Record<string, unknown>>) => {
      const { compile, coerce } = compilerFor(query);
      return new Set(sets.map((raw) => compile(coerce(raw)).text));
    };
    assert.equal(texts('query($o: Int) { allPosts(first: 2, offset: $o, orderBy: CREATED_AT_DESC) { nodes { id } } }', [{ o: 1 }, { o: 2 }, { o: 40 }]).size, 1);
    const position = (n: number) => Buffer.from(JSON.stringify(['natural', n])).toString('base64');
    assert.equal(texts('query($c: Cursor) { searchPosts(search: "a", first: 2, after: $c) { nodes { id } } }', [{ c: position(2) }, { c: position(4) }]).size, 1);
  });

  test('@include and @skip decided by a variable', () => {
    check('query($b: Boolean!, $id: Int!) { postById(id: $id) { id headline @include(if: $b) body @skip(if: $b) } }',
      [{ b: true, id: 1 }, { b: false, id: 1 }, { b: true, id: 2 }, { b: false, id: 3 }]);
  });

  test('node ids decoded into the table and key', () => {
    check('query($id: ID!) { node(id: $id) { id ... on Post { headline } ... on Person { firstName } } }',
      [nodeId('Post', 1), nodeId('Person', 1), nodeId('Post', 2), nodeId('Nope', 1), 'not an id', nodeId('Post', 'x'), 'query'].map((id) => ({ id })));
    check('query($id: ID!) { post(id: $id) { id headline } }',
      [nodeId('Post', 1), nodeId('Post', 2), nodeId('Person', 1), nodeId('Post', 1, 2)].map((id) => ({ id })));
  });

  test('cursors decoded into keys, and refused alike', () => {
    const cursor = (...keys: unknown[]) => Buffer.from(JSON.stringify(['primary_key_asc', keys])).toString('base64');
    check('query($c: Cursor) { allPosts(first: 2, orderBy: PRIMARY_KEY_ASC, after: $c) { nodes { id } } }',
      [{ c: cursor(1) }, { c: cursor(3) }, { c: null }, { c: 'garbage' }, { c: cursor('x') }, { c: '' }]);
  });

  test('conditions, null and absent values, enum values and whole input objects', () => {
    check('query($a: Int) { allPosts(condition: { authorId: $a }, orderBy: ID_ASC) { nodes { id } } }',
      [{ a: 1 }, { a: 2 }, { a: null }, {}]);
    check('query($c: PostCondition, $o: [PostsOrderBy!]) { allPosts(condition: $c, orderBy: $o) { nodes { id } } }',
      [{ c: { authorId: 1 }, o: ['ID_ASC'] }, { c: { authorId: 2 }, o: ['ID_DESC'] }, { c: { topic: 'SHOWCASE' } }, { c: { topic: 'INSPIRATION' } },
        { c: {} }, { c: { authorId: 1, topic: 'SHOWCASE' } }, { c: { authorId: null } }]);
  });

  test('two variables with the same value, and a literal equal to a variable', () => {
    check('query($a: Int!, $b: Int!) { x: postById(id: $a) { id } y: personById(id: $b) { id } }',
      [{ a: 1, b: 1 }, { a: 1, b: 2 }, { a: 2, b: 1 }, { a: 3, b: 3 }]);
    check('query($a: Int!) { x: postById(id: 1) { id } y: postById(id: $a) { id } }', [{ a: 1 }, { a: 2 }, { a: 1 }]);
  });

  test('filter operators: a value bound as it is, and values made into patterns or lists', () => {
    const calls = check('query($s: String!) { allPosts(filter: { headline: { equalTo: $s } }) { nodes { id } } }',
      ['a', 'b', 'Hello, world!'].map((s) => ({ s })), filtered);
    assert.equal(calls, 2, 'equalTo binds its value: one compile and its probe');
    check('query($s: String!) { allPosts(filter: { headline: { includes: $s } }) { nodes { id } } }',
      ['a', 'b%', 'c_d', 'e\\f'].map((s) => ({ s })), filtered);
    check('query($s: String!) { allPosts(filter: { headline: { startsWithInsensitive: $s } }) { nodes { id } } }',
      ['a', 'B', '%'].map((s) => ({ s })), filtered);
    check('query($ids: [Int!]) { allPosts(filter: { id: { in: $ids } }, orderBy: ID_ASC) { nodes { id } } }',
      [{ ids: [1, 2] }, { ids: [3] }, { ids: [] }, { ids: null }, { ids: [2, 1, 3] }], filtered);
  });

  test('variables with more leaves than a template takes are left to the caller', () => {
    const { compile, coerce } = compilerFor('query($ids: [Int!]) { allPosts(condition: { authorId: 1 }) { nodes { id } } x: postById(id: 1) { id } }');
    const many = coerce({ ids: Array.from({ length: 40 }, (_, i) => i) });
    assert.equal(templateStatement(createTemplates(), '', many, compile), undefined);
    const few = coerce({ ids: [1, 2] });
    assert.ok(templateStatement(createTemplates(), '', few, compile));
  });

  test('a variable used twice, bound once and written once', () => {
    check('query($n: Int!) { allPosts(first: $n) { nodes { id } } postById(id: $n) { id } }', [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe('one document sent again and again over HTTP: every answer is its own request\'s', () => {
  let ours: OurServer;
  let auth: Record<string, string>;
  let me: number;
  before(async () => {
    ours = await startOurs(db.url);
    const r = await ours.graphql('mutation { authenticate(input: { email: "sara.powell@example.com", password: "password" }) { jwtToken } }');
    auth = { authorization: `Bearer ${r.body.data.authenticate.jwtToken}` };
    me = (await ours.graphql('{ currentPerson { id } }', undefined, auth)).body.data.currentPerson.id;
  });
  after(async () => {
    await ours?.close();
  });

  test('postById with a different id each time', async () => {
    const all = (await ours.graphql('{ allPosts(orderBy: ID_ASC) { nodes { id headline } } }')).body.data.allPosts.nodes as Array<{ id: number; headline: string }>;
    assert.ok(all.length >= 3);
    for (const post of [...all, ...all.reverse()]) {
      const r = await ours.graphql('query($id: Int!) { postById(id: $id) { id headline } }', { id: post.id });
      assert.deepEqual(r.body, { data: { postById: post } });
    }
    const none = await ours.graphql('query($id: Int!) { postById(id: $id) { id headline } }', { id: 2_000_000 });
    assert.deepEqual(none.body, { data: { postById: null } });
  });

  test('createPost (one statement) with different values each time', async () => {
    const doc = `mutation($a: Int!, $h: String!, $b: String, $m: String) {
      createPost(input: { clientMutationId: $m, post: { authorId: $a, headline: $h, body: $b } }) {
        clientMutationId post { headline body authorId }
      }
    }`;
    for (const [h, b, m] of [['one', 'x', 'm1'], ['two', null, 'm2'], ['three', 'z', null], ['four', 'w', 'm4']]) {
      const r = await ours.graphql(doc, { a: me, h, b, m }, auth);
      assert.deepEqual(r.body, { data: { createPost: { clientMutationId: m, post: { headline: h, body: b, authorId: me } } } });
    }
    // another author's id is refused by row level security, and the next request is itself again
    const refused = await ours.graphql(doc, { a: me + 1, h: 'not mine', b: null, m: null }, auth);
    assert.match(refused.body.errors?.[0]?.message ?? '', /row-level security/);
    const again = await ours.graphql(doc, { a: me, h: 'five', b: null, m: 'm5' }, auth);
    assert.deepEqual(again.body, { data: { createPost: { clientMutationId: 'm5', post: { headline: 'five', body: null, authorId: me } } } });
  });

  test('updatePost by node id with a different post and value each time', async () => {
    const mine = (await ours.graphql(`query($a: Int!) { allPosts(condition: { authorId: $a }, orderBy: ID_ASC) { nodes { nodeId id } } }`, { a: me }, auth))
      .body.data.allPosts.nodes as Array<{ nodeId: string; id: number }>;
    assert.ok(mine.length >= 2);
    const doc = 'mutation($id: ID!, $h: String!) { updatePost(input: { nodeId: $id, postPatch: { headline: $h } }) { post { id headline } } }';
    for (const [i, post] of [...mine, ...mine].entries()) {
      const r = await ours.graphql(doc, { id: post.nodeId, h: `edited ${i}` }, auth);
      assert.deepEqual(r.body, { data: { updatePost: { post: { id: post.id, headline: `edited ${i}` } } } });
    }
  });
});
