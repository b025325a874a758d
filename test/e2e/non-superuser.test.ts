// Every reference schema built as an authenticator role that is neither owner nor superuser, as
// v4's security docs set one up: `login noinherit`, USAGE on the exposed schema only (and, for
// the forum, membership of the roles it switches to). A schema it may not use (with an enum
// table, views, functions, domains) sits beside the exposed ones; the schema must still be v4's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { pluginOptions, references, type Reference } from '../compat/export-v4';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema, startV4 } from '../helpers/v4';
import { forumV4Flags, plainOptions, root, startOurs } from './setup';

const AUTH = 'forum_dev_authenticator';
const PASSWORD = 'authenticator';

// Objects the authenticator can see in the catalog but may not use.
const hiddenSql = `
create schema forum_dev_hidden;
create table forum_dev_hidden.colour (id text primary key, description text);
comment on table forum_dev_hidden.colour is E'@enum';
insert into forum_dev_hidden.colour values ('red', 'Red');
create table forum_dev_hidden.thing (id int primary key, colour text references forum_dev_hidden.colour);
create view forum_dev_hidden.thing_view as select * from forum_dev_hidden.thing;
create view forum_dev_hidden.colour_view as select * from forum_dev_hidden.colour;
comment on view forum_dev_hidden.colour_view is E'@enum\n@primaryKey id';
comment on view forum_dev_hidden.thing_view is E'@primaryKey no_such_column\n@foreignKey (nope) references nowhere';
create type forum_dev_hidden.pair as (a int, b text);
create domain forum_dev_hidden.positive as int check (value > 0);
create function forum_dev_hidden.double(x int) returns int language sql immutable as 'select x * 2';
create function forum_dev_hidden.things() returns setof forum_dev_hidden.thing language sql stable as 'select * from forum_dev_hidden.thing';
revoke all on schema forum_dev_hidden from public;
`;

function rolesSql(ref: Reference): string {
  const schemas = ref.schemas.map((s) => `"${s}"`).join(', ');
  const list = ref.schemas.map((s) => `'${s}'`).join(', ');
  const members = ref.name === 'forum' ? `grant forum_example_anonymous, forum_example_person to ${AUTH};` : '';
  return `
do $$ begin
  if not exists (select from pg_roles where rolname = '${AUTH}') then
    create role ${AUTH} login noinherit password '${PASSWORD}';
  end if;
end $$;
grant usage on schema ${schemas} to ${AUTH};
${members}
-- v4 reads enum tables' rows while building, and asks for these grants when it cannot
do $$ declare r record; begin
  for r in select c.oid::regclass as rel from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_description d on d.objoid = c.oid and d.objsubid = 0 and d.classoid = 'pg_class'::regclass
    where n.nspname in (${list}) and d.description ~ '(^|\n)@enum'
    union -- and tables whose unique keys are tagged @enum
    select c.oid::regclass from pg_constraint k join pg_class c on c.oid = k.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_description d on d.objoid = k.oid and d.classoid = 'pg_constraint'::regclass
    where n.nspname in (${list}) and d.description ~ '(^|\n)@enum'
  loop execute format('grant select on %s to ${AUTH}', r.rel); end loop;
end $$;
`;
}

/** A database of `ref` with the hidden schema and the authenticator; returns both connections. */
async function setUp(ref: Reference): Promise<{ db: string; admin: string; auth: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'forum-dev-auth-'));
  const hidden = join(dir, 'hidden.sql');
  const roles = join(dir, 'roles.sql');
  writeFileSync(hidden, hiddenSql);
  writeFileSync(roles, rolesSql(ref));
  const db = uniqueName(`e2e_auth_${ref.name}`);
  try {
    const admin = await createDatabase(db, [...ref.sqlFiles, hidden, roles]);
    return { db, admin, auth: connectionAs(admin, AUTH, PASSWORD), cleanup: () => dropDatabase(db) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const ref of references) {
  test(`schema of ${ref.name} built as a non-superuser authenticator matches v4's`, async () => {
    const { admin, auth, cleanup } = await setUp(ref);
    try {
      const ours = await startOurs(auth, ref.name === 'forum' ? {} : { ...plainOptions(ref.schemas), ...pluginOptions(ref) });
      try {
        const v4 = readFileSync(join(root, 'test/fixtures/v4', `${ref.name}.graphql`), 'utf8');
        const diffs = compareSdl(v4, printSchema(ours.server.live.current().schema), {
          dbDescriptions: await loadDbComments(admin, ref.schemas),
        });
        assert.deepEqual(diffs, [], diffs.slice(0, 40).join('\n'));
      } finally {
        await ours.close();
      }
    } finally {
      await cleanup();
    }
  });
}

// With --no-ignore-rbac v4 counts the privileges of every role the authenticator is a member of
// (it switches to them per request), even though a noinherit role does not hold them itself.
test('--no-ignore-rbac as a noinherit authenticator hides what its roles may not use, as v4', async () => {
  const forum = references.find((r) => r.name === 'forum')!;
  const { admin, auth, cleanup } = await setUp(forum);
  try {
    const expected = await exportV4Schema({ connection: auth, schemas: forum.schemas, flags: [...forumV4Flags, '--no-ignore-rbac'] });
    const ours = await startOurs(auth, { ignoreRbac: false });
    try {
      const diffs = compareSdl(expected, printSchema(ours.server.live.current().schema), {
        dbDescriptions: await loadDbComments(admin, forum.schemas),
      });
      assert.deepEqual(diffs, [], diffs.slice(0, 40).join('\n'));
      // what the roles may use is there; what none may (inserting people) is not
      assert.match(expected, /allPosts/);
      assert.match(expected, /createPost\(/);
      assert.doesNotMatch(expected, /createPerson\(/);
    } finally {
      await ours.close();
    }
  } finally {
    await cleanup();
  }
});

// Grants of every kind v4 reads with --no-ignore-rbac: column-level SELECT/INSERT/UPDATE only, no
// UPDATE at all, no privilege on a table a security definer function returns, a function the
// roles may not execute, and one whose table argument has no insertable column (left out).
const grantsSql = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'forum_dev_grants_visitor') then
    create role forum_dev_grants_visitor;
  end if;
  if not exists (select from pg_roles where rolname = '${AUTH}') then
    create role ${AUTH} login noinherit password '${PASSWORD}';
  end if;
end $$;
grant forum_dev_grants_visitor to ${AUTH};
create schema grants;
alter default privileges revoke execute on functions from public;
create table grants.person (id serial primary key, name text not null, email text not null unique, secret text);
create table grants.post (id serial primary key, author_id int not null references grants.person, headline text not null, body text);
create index on grants.post (author_id);
create table grants.audit (id serial primary key, note text, at_step int);
create table grants.hidden_note (id serial primary key, note text, owner int);
create view grants.person_view as select id, name from grants.person;
create type grants.pair as (a int, b text);
create function grants.person_greeting(p grants.person) returns text language sql stable as $$ select 'hi ' || p.name $$;
create function grants.person_secret_len(p grants.person) returns int language sql stable as $$ select length(p.secret) $$;
create function grants.post_with_suffix(post grants.post, suffix text) returns grants.post language sql volatile as $$ select $1 $$;
create function grants.notes() returns setof grants.hidden_note language sql stable security definer as $$ select * from grants.hidden_note $$;
create function grants.make_pair(a int) returns grants.pair language sql stable as $$ select (a, 'x')::grants.pair $$;
insert into grants.person (name, email, secret) values ('Ada', 'ada@example.com', 's1'), ('Bob', 'bob@example.com', 's2');
insert into grants.post (author_id, headline, body) values (1, 'First', 'long body'), (2, 'Second', 'more'), (1, 'Third', null);
insert into grants.hidden_note (note, owner) values ('kept', 1), ('also kept', 2);
grant usage on schema grants to forum_dev_grants_visitor;
grant usage on all sequences in schema grants to forum_dev_grants_visitor;
grant select (id, name, email) on grants.person to forum_dev_grants_visitor;
grant insert (name, email), update (name) on grants.person to forum_dev_grants_visitor;
grant select, delete on grants.post to forum_dev_grants_visitor;
grant select (id, headline, author_id) on grants.post to forum_dev_grants_visitor;
grant select, insert, update, delete on grants.audit to forum_dev_grants_visitor;
grant select on grants.person_view to forum_dev_grants_visitor;
grant execute on function grants.person_greeting(grants.person), grants.post_with_suffix(grants.post, text),
  grants.notes(), grants.make_pair(int) to forum_dev_grants_visitor;
`;

test('--no-ignore-rbac reads column grants, missing grants and unexecutable functions as v4', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forum-dev-grants-'));
  const file = join(dir, 'grants.sql');
  writeFileSync(file, grantsSql);
  const db = uniqueName('e2e_grants');
  try {
    const admin = await createDatabase(db, [file]);
    const auth = connectionAs(admin, AUTH, PASSWORD);
    const flags = ['--no-ignore-rbac', '--default-role', 'forum_dev_grants_visitor'];
    const expected = await exportV4Schema({ connection: auth, schemas: ['grants'], flags });
    const ours = await startOurs(auth, { ...plainOptions(['grants']), ignoreRbac: false, defaultRole: 'forum_dev_grants_visitor' });
    const v4 = await startV4({ connection: auth, schemas: ['grants'], flags });
    try {
      const sdl = printSchema(ours.server.live.current().schema);
      const diffs = compareSdl(expected, sdl, { dbDescriptions: await loadDbComments(admin, ['grants']) });
      assert.deepEqual(diffs, [], diffs.slice(0, 40).join('\n'));
      // the cases are really there: a column-level grant is enough, what is ungranted is gone
      assert.match(expected, /allPeople\(/);
      assert.match(expected, /createPerson\(/);
      assert.doesNotMatch(expected, /\bsecret\b/);
      assert.doesNotMatch(expected, /updatePost\(/);
      assert.match(expected, /deletePost\(/);
      assert.doesNotMatch(expected, /postWithSuffix/);
      assert.doesNotMatch(expected, /secretLen/);
      assert.match(expected, /notes\(/);
      assert.match(ours.server.live.current().warnings.join('\n'), /grants\.post_with_suffix is left out/);
      // Answers as the role: a page reads only the granted columns (never the whole row), and a
      // security definer function returns rows of a table the role may not read.
      const query = `{
        allPosts(orderBy: HEADLINE_DESC, first: 2) { totalCount nodes { id headline authorId personByAuthorId { name email } } pageInfo { hasNextPage } }
        allPeople(orderBy: NAME_ASC) { edges { cursor node { name postsByAuthorId { nodes { headline } } } } }
        notes { nodes { note owner } }
      }`;
      const [a, b] = [await v4.graphql(query), await ours.graphql(query)];
      assert.equal(a.body.errors, undefined, JSON.stringify(a.body.errors));
      assert.deepEqual(b.body, a.body);
      assert.equal(a.body.data.notes.nodes.length, 2);
    } finally {
      await v4.stop();
      await ours.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(db);
  }
});
