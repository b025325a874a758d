// The built-in simplify inflector against the real `@graphile-contrib/pg-simplify-inflector` on
// v4: the same schema (forum example, the reference fixtures, and its options) and the same answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { printSchema } from 'graphql';
import type { Options } from '../../src/options';
import { references } from '../compat/export-v4';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema, startV4, type V4Server } from '../helpers/v4';
import { join } from 'node:path';
import { createPostGraphileSchema } from '../../src/library';
import { createForumDb, forumV4Flags, plainOptions, root, startOurs, type ForumDb, type OurServer } from '../e2e/setup';

const PLUGIN = '@graphile-contrib/pg-simplify-inflector';

let forum: ForumDb;
before(async () => {
  forum = await createForumDb('simplify');
});
after(async () => {
  await forum?.drop();
});

async function sameSchema(url: string, adminUrl: string, schemas: string[], v4Flags: string[], ours: Partial<Options>,
  graphileBuildOptions?: Record<string, unknown>): Promise<void> {
  const expected = await exportV4Schema({ connection: url, schemas, flags: v4Flags, appendPlugins: [PLUGIN], graphileBuildOptions });
  const server = await startOurs(url, { ...ours, appendPlugins: [PLUGIN], graphileBuildOptions: graphileBuildOptions ?? {} });
  try {
    const differences = compareSdl(expected, printSchema(server.server.live.current().schema), {
      dbDescriptions: await loadDbComments(adminUrl, schemas),
    });
    assert.deepEqual(differences, []);
  } finally {
    await server.close();
  }
}

const forumCases: Array<[string, string[], Partial<Options>, Record<string, unknown> | undefined]> = [
  ['default options', [], {}, undefined],
  ['pgOmitListSuffix and --simple-collections both', ['--simple-collections', 'both'], { simpleCollections: 'both' }, { pgOmitListSuffix: true }],
  ['--simple-collections only', ['--simple-collections', 'only'], { simpleCollections: 'only' }, { pgOmitListSuffix: false }],
  ['pgShortPk, pgSimplifyAllRows and pgSimplifyPatch off', [], {},
    { pgShortPk: false, pgSimplifyAllRows: false, pgSimplifyPatch: false, pgSimplifyMultikeyRelations: false }],
];

for (const [name, flags, options, gbo] of forumCases) {
  test(`forum schema with the simplify inflector (${name}) matches v4 with the plugin`, async () => {
    await sameSchema(forum.url, forum.adminUrl, ['forum_example'], [...forumV4Flags, ...flags], options, gbo);
  });
}

const simplifySql = join(root, 'test/fixtures/schemas/simplify.sql');

test('names the plugin decides differently: opposites, one-to-one, multi-key keys, @listSuffix, digits', async () => {
  const db = uniqueName('simplify_names');
  const url = await createDatabase(db, [simplifySql]);
  try {
    await sameSchema(url, url, ['simplify'], [], plainOptions(['simplify']));
    await sameSchema(url, url, ['simplify'], ['--simple-collections', 'both'], { ...plainOptions(['simplify']), simpleCollections: 'both' },
      { pgOmitListSuffix: true });
  } finally {
    await dropDatabase(db);
  }
});

// setofconn: v4 with the plugin cannot build it at all (its `items` function and the table
// `item`'s `allItems` both simplify to `items`), so there is no schema to compare with.
const notBuiltByV4 = new Set(['forum', 'setofconn']);
for (const ref of references.filter((r) => !notBuiltByV4.has(r.name))) {
  test(`${ref.name} schema with the simplify inflector matches v4 with the plugin`, async () => {
    const db = uniqueName(`simplify_${ref.name}`);
    const url = await createDatabase(db, ref.sqlFiles);
    try {
      await sameSchema(url, url, ref.schemas, ref.flags, plainOptions(ref.schemas));
    } finally {
      await dropDatabase(db);
    }
  });
}

const simplifyQuery = `{
  people(orderBy: PRIMARY_KEY_ASC) {
    nodes {
      name initialsOf
      authoredArticles(orderBy: PRIMARY_KEY_ASC) {
        nodes { title author { name } editor { name } reviewer { name } articleDetail { body } remarks { nodes { body } } }
      }
      editedArticles { totalCount }
      reviewedArticles(orderBy: PRIMARY_KEY_ASC) { nodes { title } }
      latestArticlesConnection { nodes { title } }
      pairsByLeftId(orderBy: PRIMARY_KEY_ASC) { nodes { rightId taggingsByPairLeftIdAndPairRightId { nodes { label pairLeftPairRight { leftId } } } } }
      userNewsByOwnerFk { nodes { headline } }
    }
  }
  person(id: 2) { name nodeId }
  article(id: 2) { title }
  node2s(orderBy: PRIMARY_KEY_ASC) { nodes { label parent { label } childNode2s { nodes { label } } } }
  table1s { nodes { v } }
  userNewsesConnection { totalCount }
  taggingByLabel(label: "b") { pairLeftId }
  recentArticles { nodes { title } }
  describeBox(b: { label: "crate", size2s: 3 })
}`;

/** Runs `check` with v4 (with the plugin) and ours (with the built-in form) on one database. */
async function withBoth(url: string, schemas: string[], v4Flags: string[], ours: Partial<Options>,
  check: (v4: V4Server, ours: OurServer) => Promise<void>): Promise<void> {
  const v4 = await startV4({ connection: url, schemas, flags: v4Flags, appendPlugins: [PLUGIN] });
  try {
    const server = await startOurs(url, { ...ours, appendPlugins: [PLUGIN] });
    try {
      await check(v4, server);
    } finally {
      await server.close();
    }
  } finally {
    await v4.stop();
  }
}

/** The same answer from both, and not an error. */
async function sameAnswer(v4: V4Server, ours: OurServer, query: string): Promise<any> {
  const expected = await v4.graphql(query);
  assert.equal(expected.body.errors, undefined, JSON.stringify(expected.body.errors));
  assert.deepEqual((await ours.graphql(query)).body, expected.body);
  return expected.body.data;
}

test('answers with the simplify inflector are v4 with the plugin', async () => {
  const db = uniqueName('simplify_answers');
  const url = await createDatabase(db, [simplifySql]);
  try {
    // v4 has no cost limit; the query reads every relation of every row at once.
    await withBoth(url, ['simplify'], [], { ...plainOptions(['simplify']), maxQueryCost: 10_000_000 }, async (v4, ours) => {
      const data = await sameAnswer(v4, ours, simplifyQuery);
      const nodeId = JSON.stringify(data.person.nodeId);
      await sameAnswer(v4, ours, `{ personByNodeId(nodeId: ${nodeId}) { name } node(nodeId: ${nodeId}) { __typename ... on Person { name } } }`);
      await sameAnswer(v4, ours, 'mutation { updateArticle(input: { id: 2, patch: { title: "Second" } }) { article { title } author { name } } }');
    });
  } finally {
    await dropDatabase(db);
  }
});

test('forum answers with the simplify inflector are v4 with the plugin', async () => {
  await withBoth(forum.url, ['forum_example'], forumV4Flags, {}, (v4, ours) => sameAnswer(v4, ours, `{
    posts(first: 3, orderBy: PRIMARY_KEY_ASC) { nodes { headline author { firstName } } }
    post(id: 1) { headline }
    person(id: 1) { fullName authoredPosts(first: 2, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { id } } }
  }`));
});

test('createPostGraphileSchema turns it on from the plugin object, with graphileBuildOptions', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = require(join(root, 'test/compat/node_modules', PLUGIN));
  const plain = await createPostGraphileSchema(forum.url, 'forum_example');
  assert.ok(plain.getQueryType()!.getFields().allPosts);
  const simple = await createPostGraphileSchema(forum.url, 'forum_example', { appendPlugins: [plugin], graphileBuildOptions: { pgOmitListSuffix: true } });
  const fields = simple.getQueryType()!.getFields();
  assert.ok(fields.postsConnection && fields.post && !fields.allPosts && !fields.posts, Object.keys(fields).join(', '));
  await assert.rejects(createPostGraphileSchema(forum.url, 'forum_example', { appendPlugins: ['postgraphile-plugin-upsert'] }), /is not built in/);
});
