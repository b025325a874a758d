import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildSchema } from 'graphql';
import { compareSchemas, loadDbComments } from './compare-schema';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from './db';
import { exportV4Schema, startV4 } from './v4';

const root = join(__dirname, '..', '..');
const forumFlags = ['--default-role', 'forum_example_anonymous', '--jwt-secret', 'keyboard_kitten', '--jwt-token-identifier', 'forum_example.jwt_token'];

describe('PostGraphile v4 reference harness (forum example)', () => {
  const name = uniqueName('infra_v4');
  let url = '';
  let conn = '';

  before(async () => {
    url = await createDatabase(name, [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')]);
    conn = connectionAs(url, 'forum_example_postgraphile', 'xyz');
  });
  after(() => dropDatabase(name));

  it('serves queries as the anonymous role', async () => {
    const v4 = await startV4({ connection: conn, schemas: ['forum_example'], flags: forumFlags });
    try {
      const res = await v4.graphql('query ($n: Int) { allPeople(first: $n, orderBy: ID_ASC) { totalCount nodes { id } } }', { n: 2 });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.allPeople.nodes.length, 2);
      assert.ok(res.body.data.allPeople.totalCount > 2);
      const denied = await v4.graphql('mutation { createPost(input: { post: { authorId: 1, headline: "x" } }) { post { id } } }');
      assert.ok(denied.body.errors?.length, 'anonymous must not create posts');
    } finally {
      await v4.stop();
    }
  });

  it('exports the SDL, which matches the committed reference', async () => {
    const sdl = await exportV4Schema({ connection: conn, schemas: ['forum_example'], flags: forumFlags });
    assert.match(sdl, /type Person implements Node/);
    const { readFileSync } = await import('node:fs');
    const committed = readFileSync(join(root, 'test/fixtures/v4/forum.graphql'), 'utf8');
    const comments = await loadDbComments(url, ['forum_example']);
    assert.ok(comments.has('A user of the forum.'));
    const diffs = compareSchemas(buildSchema(committed), buildSchema(sdl), { dbDescriptions: comments });
    assert.deepEqual(diffs, []);
    // Identical text: the committed file is exactly what v4 prints.
    assert.equal(sdl, committed);
  });
});
