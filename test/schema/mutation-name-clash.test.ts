// A mutation function named like a table's own mutation (`create_post` beside the table `post`):
// v4 logs the clash of the two `CreatePostPayload` types and leaves the function out. The
// schema must be v4's, and the build must say what it left out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { printSchema } from 'graphql';
import { Pool } from 'pg';
import { introspect } from '../../src/introspection/introspect';
import { makeSnapshot } from '../../src/schema/snapshot';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema } from '../helpers/v4';

const SQL = `create schema s;
  create table s.post (id serial primary key, title text);
  create function s.create_post(title text) returns s.post language sql volatile
    as 'insert into s.post (title) values (title) returning *';
  create function s.publish(title text) returns s.post language sql volatile
    as 'insert into s.post (title) values (title) returning *';`;

let name: string;
let url: string;
before(async () => {
  name = uniqueName('mutation_clash');
  url = await createDatabase(name, []);
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(SQL);
  } finally {
    await pool.end();
  }
});
after(async () => {
  if (name) await dropDatabase(name);
});

test('a mutation function named like a table mutation is left out with a warning, as in v4', async () => {
  const pool = new Pool({ connectionString: url, max: 1 });
  let snapshot;
  try {
    snapshot = makeSnapshot(await introspect(pool, ['s']), { schemas: ['s'] }, 1);
  } finally {
    await pool.end();
  }
  const expected = await exportV4Schema({ connection: url, schemas: ['s'] });
  const diffs = compareSdl(expected, printSchema(snapshot.schema), { dbDescriptions: await loadDbComments(url, ['s']) });
  assert.deepEqual(diffs, [], diffs.join('\n'));
  // the other function is there; the CRUD mutation takes the table's input, not the function's
  const fields = snapshot.schema.getMutationType()!.getFields();
  assert.ok(fields.publish);
  assert.ok(fields.createPost.args[0].type.toString() === 'CreatePostInput!');
  assert.deepEqual(Object.keys((snapshot.schema.getType('CreatePostInput') as any).getFields()), ['clientMutationId', 'post']);
  assert.deepEqual(snapshot.warnings, [
    "schema: the mutation function behind Mutation.createPost is left out: a table's mutation has that name; " +
    'rename the function or give it another with a @name smart comment',
  ]);
});
