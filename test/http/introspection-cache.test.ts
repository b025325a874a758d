// An operation that asks only introspection fields (GraphiQL's, on every load) is answered once
// per schema generation: the same generation gets the stored answer, a new one a fresh answer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { Pool } from 'pg';
import { createDocumentCache } from '../../src/execute/documents';
import { runOperation, type RunOptions } from '../../src/execute/operation';
import { defaultOptions, schemaOptions } from '../../src/options';
import { loadSnapshot } from '../../src/watch/reload';
import { createForumDb, type ForumDb } from '../e2e/setup';

let db: ForumDb;
let pool: Pool;

before(async () => {
  db = await createForumDb('introspection_cache');
  pool = new Pool({ connectionString: db.adminUrl, max: 2 });
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

const postFields = (body: string) => {
  const types = JSON.parse(body).data.__schema.types as Array<{ name: string; fields: Array<{ name: string }> | null }>;
  return types.find((t) => t.name === 'Post')!.fields!.map((f) => f.name);
};

test('introspection is computed once per schema generation', async () => {
  const options = schemaOptions({ ...defaultOptions, schemas: ['forum_example'] });
  const run: RunOptions = { pool, settings: [], documents: createDocumentCache() };
  const query = getIntrospectionQuery();
  const first = await loadSnapshot(pool, options, 1);
  const a = await runOperation(first, { query }, run);
  assert.equal(a.status, 200);
  assert.ok(!postFields(a.body).includes('views'));

  await pool.query('alter table forum_example.post add column views int not null default 0');
  const second = await loadSnapshot(pool, options, 2);
  assert.ok(second.schema.getType('Post') && 'views' in (second.schema.getType('Post') as any).getFields());
  // Same generation, so the stored answer, although this schema object would answer otherwise:
  const again = await runOperation({ ...first, schema: second.schema }, { query }, run);
  assert.equal(again.body, a.body);
  // A new generation answers from its own schema.
  const b = await runOperation(second, { query }, run);
  assert.ok(postFields(b.body).includes('views'));
  // Other variables or fields are other answers: a named type lookup is not the full query's.
  const typeQuery = 'query($n: String!) { __type(name: $n) { name } }';
  const post = await runOperation(second, { query: typeQuery, variables: { n: 'Post' } }, run);
  const person = await runOperation(second, { query: typeQuery, variables: { n: 'Person' } }, run);
  assert.deepEqual(JSON.parse(post.body), { data: { __type: { name: 'Post' } } });
  assert.deepEqual(JSON.parse(person.body), { data: { __type: { name: 'Person' } } });
});
