// `postgraphile.tags.json5` / `--tags-file`: smart tags from a file, merged with the database's
// comments as v4 merges them (the same schema and answers as v4 with the same file), and read
// again in watch mode when the file changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printSchema } from 'graphql';
import { parseOptions } from '../../src/cli/parse';
import { readTagsFile, tagRulesFromJSON } from '../../src/introspection/tags-file';
import { createPostGraphileSchema } from '../../src/library';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema, startV4 } from '../helpers/v4';
import { forumSql, forumV4Flags, plainOptions, root, startOurs } from '../e2e/setup';
import { references } from '../compat/export-v4';
import { waitFor } from '../watch/support';

const forumTags = fs.readFileSync(path.join(root, 'test/fixtures/tags/forum.tags.json5'), 'utf8');
const viewsSql = path.join(root, 'test/fixtures/tags/forum-views.sql');

let dbName: string;
let admin: string;
let login: string;
before(async () => {
  dbName = uniqueName('tags_forum');
  admin = await createDatabase(dbName, [...forumSql, viewsSql]);
  const u = new URL(admin);
  u.username = 'forum_example_postgraphile';
  u.password = 'xyz';
  login = u.toString();
});
after(async () => {
  await dropDatabase(dbName);
});

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-tags-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Descriptions that must match exactly: the database's comments and the file's. */
async function descriptions(url: string, schemas: string[], tagsText: string): Promise<Set<string>> {
  const set = await loadDbComments(url, schemas);
  for (const r of readTagsFile(tmpFile('t.json5', tagsText)).rules) if (r.description) set.add(r.description);
  return set;
}

test('the forum with a tags file has the schema v4 gives with the same file', async () => {
  const expected = await exportV4Schema({ connection: login, schemas: ['forum_example'], flags: forumV4Flags, tagsFile: forumTags });
  assert.match(expected, /writings\(/, 'v4 read the tags file');
  const ours = await startOurs(login, { tagsFile: tmpFile('postgraphile.tags.json5', forumTags) });
  try {
    const diffs = compareSdl(expected, printSchema(ours.server.live.current().schema), {
      dbDescriptions: await descriptions(admin, ['forum_example'], forumTags),
    });
    assert.deepEqual(diffs, []);
  } finally {
    await ours.close();
  }
});

test('answers through names and keys from the tags file are v4\'s', async () => {
  const query = `{
    allPosts(first: 3, orderBy: PRIMARY_KEY_ASC) { nodes { title writer { displayName } } }
    personById(id: 1) { displayName writings(first: 2, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { title } } postViewsByAuthorId(first: 2, orderBy: PRIMARY_KEY_ASC) { nodes { id headline } } }
    postViewById(id: 2) { headline personByAuthorId { firstName } }
    searchPosts(search: "a", first: 2) { nodes { id } }
  }`;
  const v4 = await startV4({ connection: login, schemas: ['forum_example'], flags: forumV4Flags, tagsFile: forumTags });
  const ours = await startOurs(login, { tagsFile: tmpFile('postgraphile.tags.json5', forumTags) });
  try {
    const expected = await v4.graphql(query);
    assert.equal(expected.body.errors, undefined, JSON.stringify(expected.body.errors));
    assert.deepEqual((await ours.graphql(query)).body, expected.body);
  } finally {
    await ours.close();
    await v4.stop();
  }
});

test('a file tag overrides the comment tag of the same name; the other comment tags stay', async () => {
  const ref = references.find((r) => r.name === 'smart')!;
  const tags = `{ version: 1, config: { class: { 'smart.account_holder': { tags: { name: 'club_member' },
    attribute: { nick: { description: 'Shown to others.' } } } } } }`;
  const db = uniqueName('tags_smart');
  const url = await createDatabase(db, ref.sqlFiles);
  try {
    const expected = await exportV4Schema({ connection: url, schemas: ref.schemas, flags: [], tagsFile: tags });
    assert.match(expected, /type ClubMember /);
    const schema = await createPostGraphileSchema(url, ref.schemas, { tagsFile: tmpFile('t.json5', tags) });
    const diffs = compareSdl(expected, printSchema(schema), { dbDescriptions: await descriptions(url, ref.schemas, tags) });
    assert.deepEqual(diffs, []);
  } finally {
    await dropDatabase(db);
  }
});

test('the CLI reads ./postgraphile.tags.json5 by default, or --tags-file', () => {
  const file = tmpFile('postgraphile.tags.json5', '{ version: 1, config: {} }');
  const dir = path.dirname(file);
  assert.equal(parseOptions([], {}, dir).tagsFile, file);
  assert.equal(parseOptions(['--tags-file', 'other.json5'], {}, dir).tagsFile, path.join(dir, 'other.json5'));
  assert.equal(parseOptions([], {}, os.tmpdir()).tagsFile, fs.existsSync(path.join(os.tmpdir(), 'postgraphile.tags.json5')) ? path.join(os.tmpdir(), 'postgraphile.tags.json5') : undefined);
});

test('a malformed file is refused with what v4 says, naming the file; the server does not start on it', async () => {
  assert.throws(() => tagRulesFromJSON({ version: 2, config: {} }), /only the version 1 smart tags format is supported/);
  assert.throws(() => tagRulesFromJSON({ version: 1, config: { type: { x: {} } } }), /invalid kind 'type'; valid kinds are: 'class'/);
  assert.throws(() => tagRulesFromJSON({ version: 1, config: { procedure: { f: { attribute: { a: {} } } } } }),
    /'attribute' is only valid on a class; you tried to set it on a 'procedure' at 'config.procedure.f.attribute'/);
  assert.throws(() => tagRulesFromJSON({ version: 1, config: { class: { t: { attribute: { 'a.b': {} } } } } }), /should not contain a period/);
  const warned = tagRulesFromJSON({ version: 1, config: { class: { t: { columns: { a: { omit: true } }, tagz: {} } } } });
  assert.deepEqual(warned.rules.map((r) => [r.kind, r.match]), [['class', 't'], ['attribute', 't.a']]);
  assert.equal(warned.warnings.length, 3);
  const broken = tmpFile('postgraphile.tags.json5', '{ version: 1, config: { class: { ');
  const message = `Failed to process smart tags file '${broken}': JSON5: invalid end of input at 1:34`;
  assert.throws(() => readTagsFile(broken), { message });
  await assert.rejects(startOurs(login, { tagsFile: broken }), { message });
});

test('watch mode reads the file again when it changes, is created or goes away', async () => {
  const file = tmpFile('postgraphile.tags.json5', '{ version: 1, config: {} }');
  const ours = await startOurs(login, { watch: true, ownerConnection: admin, tagsFile: file });
  try {
    const fields = () => Object.keys(ours.server.live.current().schema.getQueryType()!.getFields());
    await waitFor('the first schema', () => fields().includes('allPosts'), 30_000);
    fs.writeFileSync(file, "{ version: 1, config: { class: { post: { tags: { name: 'article' } } } } }");
    await waitFor('allArticles after the file changed', () => fields().includes('allArticles'), 30_000);
    fs.rmSync(file);
    await waitFor('allPosts again once the file is gone', () => fields().includes('allPosts'), 30_000);
    fs.writeFileSync(file, "{ version: 1, config: { class: { post: { tags: { name: 'entry' } } } } }");
    await waitFor('allEntries once the file is back', () => fields().includes('allEntries'), 30_000);
  } finally {
    await ours.close();
  }
});
