// Options that change the schema give the same schema as v4 with the same flags, on the forum
// example: --no-ignore-rbac, --disable-default-mutations, --simple-collections, --live, --watch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { printSchema } from 'graphql';
import { join } from 'node:path';
import { defaultOptions, type Options } from '../../src/options';
import { createServer } from '../../src/server';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { exportV4Schema } from '../helpers/v4';
import { createForumDb, forumV4Flags, plainOptions, root, startOurs, type ForumDb } from './setup';

let db: ForumDb;
before(async () => {
  db = await createForumDb('options');
});
after(async () => {
  await db?.drop();
});

const cases: Array<[string, string[], Partial<Options>]> = [
  ['--no-ignore-rbac', ['--no-ignore-rbac'], { ignoreRbac: false }],
  ['--disable-default-mutations', ['--disable-default-mutations'], { disableDefaultMutations: true }],
  ['--simple-collections both', ['--simple-collections', 'both'], { simpleCollections: 'both' }],
  ['--simple-collections only', ['--simple-collections', 'only'], { simpleCollections: 'only' }],
  ['-N (--no-setof-functions-contain-nulls)', ['--no-setof-functions-contain-nulls'], { setofFunctionsContainNulls: false }],
  ['--live', ['--live'], { live: true }],
  ['--subscriptions --live', ['--subscriptions', '--live'], { subscriptions: true, live: true }],
  // v4 without flags: watch mode adds no root fields to the schema.
  ['--watch (no root fields of its own)', [], { watch: true }],
];

for (const [name, flags, options] of cases) {
  test(`schema with ${name} matches v4's`, async () => {
    const expected = await exportV4Schema({ connection: db.url, schemas: ['forum_example'], flags: [...forumV4Flags, ...flags] });
    const ours = await startOurs(db.url, options);
    try {
      const differences = compareSdl(expected, printSchema(ours.server.live.current().schema), {
        dbDescriptions: await loadDbComments(db.adminUrl, ['forum_example']),
      });
      assert.deepEqual(differences, []);
    } finally {
      await ours.close();
    }
  });
}

// -N on every kind of set-returning function: rows of tables, composite types and records, in
// connections, simple lists and mutation payloads; scalar sets stay nullable.
test('schema of the functions fixture with -N --simple-collections both matches v4\'s', async () => {
  const name = uniqueName('options_functions');
  const url = await createDatabase(name, [join(root, 'test/fixtures/schemas/functions.sql')]);
  try {
    const flags = ['--no-setof-functions-contain-nulls', '--simple-collections', 'both'];
    const expected = await exportV4Schema({ connection: url, schemas: ['functions'], flags });
    const ours = await createServer({
      ...defaultOptions, ...plainOptions(['functions']), connection: url, port: 0, host: '127.0.0.1',
      setofFunctionsContainNulls: false, simpleCollections: 'both',
    });
    try {
      const differences = compareSdl(expected, printSchema(ours.live.current().schema), {
        dbDescriptions: await loadDbComments(url, ['functions']),
      });
      assert.deepEqual(differences, []);
      assert.match(printSchema(ours.live.current().schema), /\[Person!\]/, 'the option changed the schema');
    } finally {
      await ours.close();
    }
  } finally {
    await dropDatabase(name);
  }
});
