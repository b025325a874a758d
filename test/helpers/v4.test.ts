import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildSchema } from 'graphql';
import { compareSchemas, loadDbComments } from './compare-schema';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from './db';
import { exportV4Schema, startV4 } from './v4';
import { references, v4PluginOptions } from '../compat/export-v4';

const root = join(__dirname, '..', '..');
const forumFlags = references.find((r) => r.name === 'forum')!.flags;

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
      const auth = await v4.graphql(
        'mutation ($email: String!, $password: String!) { authenticate(input: { email: $email, password: $password }) { jwtToken } }',
        { email: 'sara.powell@example.com', password: 'password' },
      );
      const token = auth.body.data?.authenticate?.jwtToken;
      assert.equal(typeof token, 'string', JSON.stringify(auth.body));
      const me = await v4.graphql('{ currentPerson { fullName } }', undefined, { authorization: `Bearer ${token}` });
      assert.equal(me.body.data.currentPerson.fullName, 'Sara Powell');
    } finally {
      await v4.stop();
    }
  });
});

// Every fixture loads into PostgreSQL, v4 builds a schema for it, and the committed reference
// SDL is exactly what v4 prints today (regenerate with test/compat/export-v4.ts).
describe('committed v4 reference schemas are current', () => {
  for (const ref of references) {
    it(ref.name, async () => {
      const db = uniqueName(`infra_ref_${ref.name}`);
      try {
        const url = await createDatabase(db, ref.sqlFiles);
        const connection = ref.login ? connectionAs(url, ref.login.user, ref.login.password) : url;
        const sdl = await exportV4Schema({ connection, schemas: ref.schemas, flags: ref.flags, ...v4PluginOptions(ref) });
        const committed = readFileSync(join(root, 'test/fixtures/v4', `${ref.name}.graphql`), 'utf8');
        const comments = await loadDbComments(url, ref.schemas);
        assert.deepEqual(compareSchemas(buildSchema(committed), buildSchema(sdl), { dbDescriptions: comments }), []);
        assert.equal(sdl, committed);
      } finally {
        await dropDatabase(db);
      }
    });
  }
});
