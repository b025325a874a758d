// Watch mode, one kind of DDL at a time, through a real server on a fresh forum database: each
// change made through pg must show up in (or vanish from) what the server serves, a rolled-back
// change must not, the exported schema file follows, and losing every server connection to the
// database (as on a PostgreSQL restart) must not stop the watcher or the API.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { printSchema } from 'graphql';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { defaultOptions } from '../../src/options';
import { createServer, type RunningServer } from '../../src/server';

const root = join(__dirname, '..', '..');
const dbName = uniqueName('watchkinds');
const dir = mkdtempSync(join(tmpdir(), 'watch-kinds-'));
const exportFile = join(dir, 'schema.graphql');
const cacheFile = join(dir, 'introspection-cache.json');
let server: RunningServer;
let db: Client;
const logs: string[] = [];

type Body = { data?: any; errors?: Array<{ message: string }> };

async function gql(query: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until `query` answers without errors; returns its data. */
const served = (query: string, ms = 3000) =>
  waitFor(async () => {
    const r = await gql(query);
    return r.status === 200 && !r.body.errors ? r.body.data : undefined;
  }, ms, `served: ${query}`);

/** Waits until `query` is rejected because a field no longer exists. */
const gone = (query: string, field: string, ms = 3000) =>
  waitFor(async () => {
    const r = await gql(query);
    return r.body.errors?.some((e) => e.message.includes(`Cannot query field "${field}"`)) ? true : undefined;
  }, ms, `gone: ${field}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const url = await createDatabase(dbName, [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')]);
  server = await createServer(
    {
      ...defaultOptions, connection: url, schemas: ['forum_example'], host: '127.0.0.1', port: 0,
      graphiql: false, watch: true, exportSchemaGraphql: exportFile, writeCache: cacheFile,
    },
    { log: (l) => logs.push(l) },
  );
  db = new Client({ connectionString: url });
  await db.connect();
  // The initial catch-up reload and the LISTEN connection.
  await sleep(300);
});

after(async () => {
  await db?.end().catch(() => undefined);
  await server?.close();
  await dropDatabase(dbName);
  rmSync(dir, { recursive: true, force: true });
});

test('drop column: the field disappears', async () => {
  await db.query('alter table forum_example.post add column doomed int');
  await served('{ allPosts { nodes { doomed } } }');
  await db.query('alter table forum_example.post drop column doomed');
  await gone('{ allPosts { nodes { doomed } } }', 'doomed');
  const data = await served('{ allPosts(first: 1) { nodes { headline } } }');
  assert.equal(typeof data.allPosts.nodes[0].headline, 'string');
});

test('rename column: the field follows the new name, data intact', async () => {
  const before = await served('{ allPeople(orderBy: ID_ASC, first: 1) { nodes { about } } }');
  await db.query('alter table forum_example.person rename column about to biography');
  await gone('{ allPeople { nodes { about } } }', 'about');
  const after = await served('{ allPeople(orderBy: ID_ASC, first: 1) { nodes { biography } } }');
  assert.equal(after.allPeople.nodes[0].biography, before.allPeople.nodes[0].about);
});

test('new table with a comment: type, description and root field appear', async () => {
  await db.query(`begin;
    create table forum_example.note (id serial primary key, body text not null);
    comment on table forum_example.note is 'A sticky note.';
    insert into forum_example.note (body) values ('remember the milk');
    commit;`);
  const data = await served('{ allNotes { nodes { body } } __type(name: "Note") { description } }');
  assert.deepEqual(data.allNotes.nodes, [{ body: 'remember the milk' }]);
  assert.equal(data.__type.description, 'A sticky note.');
});

test('--write-cache in watch mode: the introspection cache is written again after each rebuild, as v4', async () => {
  assert.doesNotMatch(readFileSync(cacheFile, 'utf8'), /cached_later/);
  await db.query('create table forum_example.cached_later (id int primary key)');
  await served('{ allCachedLaters { totalCount } }');
  await waitFor(() => (readFileSync(cacheFile, 'utf8').includes('cached_later') ? true : undefined), 3000, 'the cache file');
});

test('the exported schema file is rewritten after a DDL', async () => {
  // The export follows the swap that serves a change, so the previous test's may still be on its way.
  const before = await waitFor(() => {
    const text = readFileSync(exportFile, 'utf8');
    return /^type Note /m.test(text) ? text : undefined;
  }, 3000, 'the previous export');
  assert.doesNotMatch(before, /exportedLater/);
  await db.query('alter table forum_example.note add column exported_later int');
  await served('{ allNotes { nodes { exportedLater } } }');
  // Written just after the swap that makes the field served.
  await waitFor(() => (/^ {2}exportedLater: Int$/m.test(readFileSync(exportFile, 'utf8')) ? true : undefined), 3000, 'export');
});

test('new function: its query field appears and runs', async () => {
  await db.query(`create function forum_example.answer_to_everything() returns int as $$ select 42 $$ language sql stable`);
  const data = await served('{ answerToEverything }');
  assert.equal(data.answerToEverything, 42);
});

test('new enum value: PostTopic.NEWS appears and can be stored', async () => {
  await db.query(`alter type forum_example.post_topic add value 'news'`);
  const names = await waitFor(async () => {
    const data = await served('{ __type(name: "PostTopic") { enumValues { name } } }');
    const names: string[] = data.__type.enumValues.map((v: { name: string }) => v.name);
    return names.includes('NEWS') ? names : undefined;
  }, 3000, 'PostTopic.NEWS');
  assert.deepEqual(names, ['DISCUSSION', 'INSPIRATION', 'HELP', 'SHOWCASE', 'NEWS']);
  await db.query(`update forum_example.post set topic = 'news' where id = (select min(id) from forum_example.post)`);
  const posts = await served('{ allPosts(condition: { topic: NEWS }) { totalCount } }');
  assert.equal(posts.allPosts.totalCount, 1);
});

test('smart comment edit: @name renames the field', async () => {
  await db.query(`comment on column forum_example.post.body is E'@name blurb'`);
  await served('{ allPosts(first: 1) { nodes { blurb } } }');
  await gone('{ allPosts { nodes { body } } }', 'body');
  // Removing the tag brings the column's own name back.
  await db.query(`comment on column forum_example.post.body is null`);
  await served('{ allPosts(first: 1) { nodes { body } } }');
});

test('drop table ... cascade of a referenced table removes it and its relations', async () => {
  await db.query(`begin;
    create table forum_example.category (id serial primary key, name text not null);
    insert into forum_example.category (name) values ('general');
    alter table forum_example.post add column category_id int references forum_example.category (id);
    update forum_example.post set category_id = 1;
    commit;`);
  const data = await served('{ allCategories { nodes { name postsByCategoryId { totalCount } } } allPosts(first: 1) { nodes { categoryByCategoryId { name } } } }');
  assert.equal(data.allPosts.nodes[0].categoryByCategoryId.name, 'general');
  assert.ok(data.allCategories.nodes[0].postsByCategoryId.totalCount > 0);
  await db.query('drop table forum_example.category cascade');
  await gone('{ allCategories { totalCount } }', 'allCategories');
  await gone('{ allPosts { nodes { categoryByCategoryId { name } } } }', 'categoryByCategoryId');
  // The referencing column itself stays (only its constraint was dropped).
  const left = await served('{ allPosts(first: 1) { nodes { categoryId } } }');
  assert.equal(left.allPosts.nodes[0].categoryId, 1);
  assert.equal((await gql('{ __type(name: "Category") { name } }')).body.data.__type, null);
});

test('a rolled-back transaction changes nothing', async () => {
  const generation = server.live.current().generation;
  // The previous test's reload writes its export after the new schema is served: wait for it.
  const exported = await waitFor(() => {
    const text = readFileSync(exportFile, 'utf8');
    return text === `${printSchema(server.live.current().schema)}\n` ? text : undefined;
  }, 10_000, 'the export of the served schema');
  await db.query('begin');
  await db.query('alter table forum_example.post add column ghost int');
  await db.query('create table forum_example.phantom (id int primary key)');
  await db.query(`comment on table forum_example.person is E'@name ghostPerson'`);
  await db.query('rollback');
  await sleep(600);
  assert.equal(server.live.current().generation, generation);
  assert.equal(readFileSync(exportFile, 'utf8'), exported);
  const r = await gql('{ allPosts { nodes { ghost } } }');
  assert.match(r.body.errors?.[0]?.message ?? '', /Cannot query field "ghost"/);
  await served('{ allPeople { totalCount } }');
});

test('a name clash keeps the last good schema and names the tables involved', async () => {
  const generation = server.live.current().generation;
  await db.query('create table forum_example.posts (id serial primary key)');
  const line = await waitFor(() => logs.find((l) => l.includes('multiple types named')), 3000, 'the failed reload');
  assert.match(line, /forum_example\.post and forum_example\.posts/);
  assert.match(line, /still serving the previous schema/);
  assert.equal(server.live.current().generation, generation);
  await served('{ allPosts { totalCount } }');
  // Fixed: the catalog is back to what is served (no new generation needed); the next change reloads.
  await db.query('drop table forum_example.posts');
  await db.query('alter table forum_example.post add column after_clash int');
  await served('{ allPosts { nodes { afterClash } } }');
});

test('losing every server connection (as on a restart): the watcher reconnects and DDL still reloads', async () => {
  const ours = `select pid, application_name from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and application_name like 'forum-dev%'`;
  await served('{ allPeople { totalCount } }');
  const old = (await db.query<{ pid: number; application_name: string }>(ours)).rows;
  // The watcher listens on the server's one LISTEN connection.
  const oldWatch = old.filter((r) => r.application_name === 'forum-dev-notify').map((r) => r.pid);
  assert.equal(oldWatch.length, 1, JSON.stringify(old));
  assert.ok(old.some((r) => r.application_name === 'forum-dev'), 'a pooled connection is open');
  await db.query(`select pg_terminate_backend(pid) from (${ours}) s`);
  // A new LISTEN connection, on a new backend.
  await waitFor(async () => {
    const { rows } = await db.query<{ pid: number }>(`${ours} and application_name = 'forum-dev-notify'`);
    return rows.length === 1 && !oldWatch.includes(rows[0].pid) ? true : undefined;
  }, 20_000, 'watch reconnect');
  assert.ok(logs.some((l) => l.includes('notify: connection lost')), logs.join('\n'));
  // The pool replaced its dead connections.
  const count = await served('{ allPeople { totalCount } }');
  assert.ok(count.allPeople.totalCount > 0);
  await waitFor(() => (logs.some((l) => l === 'notify: reconnected') ? true : undefined), 20_000, 'reconnected line');
  await db.query('alter table forum_example.person add column after_reconnect int');
  await served('{ allPeople(first: 1) { nodes { afterReconnect } } }');
  for (let i = 0; i < 5; i++) assert.equal((await gql('{ allPeople { totalCount } }')).status, 200);
});
