// A reload's introspection asks only for the columns of tables whose key changed (query.ts) and
// takes the others from the previous answer. After each change below, made by the owner while a
// non-superuser role introspects, that model must equal a full introspection's: columns, their
// comments and tags, types, defaults, and what the role may do with each column.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, Pool } from 'pg';
import { introspect } from '../../src/introspection/introspect';
import type { Model } from '../../src/introspection/model';
import { adminUrl, connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';

const ROLE = uniqueName('kept_cols_role');
const GROUP = uniqueName('kept_cols_group');
// a role the introspecting one is never a member of
const OTHER = uniqueName('kept_cols_other');

const SQL = `create schema k;
  create role ${ROLE} login noinherit password 'pw';
  create role ${GROUP} nologin;
  create role ${OTHER} nologin;
  grant usage on schema k to ${ROLE}, ${GROUP};
  create table k.person (id serial primary key, name text not null, email text);
  create table k.post (id serial primary key, author_id int references k.person(id), title text, body text);
  create table k.note (id int primary key, body text);
  create table k.audit (id bigint generated always as identity primary key, what text);
  grant select on k.person to ${ROLE};
  grant select (id, title) on k.post to ${ROLE};
`;

/** Each step: run as the owner, then compare the kept-columns model with a full one. */
const STEPS: string[] = [
  'alter table k.person add column age int',
  'comment on column k.person.age is \'Years.\'',
  'comment on column k.person.age is \'@omit create\nYears since birth.\'',
  'comment on column k.person.age is null',
  'alter table k.person alter column age type bigint',
  'alter table k.person alter column email set not null',
  'alter table k.person alter column email set default \'x@y\'',
  'alter table k.note rename column body to text',
  'alter table k.note drop column text',
  `grant update (title) on k.post to ${ROLE}`,
  `revoke select (title) on k.post from ${ROLE}`,
  `grant insert on k.note to ${GROUP}`,
  `grant ${GROUP} to ${ROLE}`,
  `revoke ${GROUP} from ${ROLE}`,
  `alter role ${ROLE} inherit`,
  `grant ${GROUP} to ${ROLE}`,
  'alter table k.audit add column total numeric generated always as (id * 2) stored',
  'create table k.fresh (id int primary key, label text)',
  'alter table k.fresh rename to renamed',
  'drop table k.renamed',
  'alter table k.post rename to article',
  'comment on table k.article is \'@name story\'',
  'alter table k.person add column "__hidden" int',
];

/** The model's data, without the kept entries themselves and the hash (which covers the keys). */
function data(model: Model): string {
  const { columnRows: _rows, classById: _c, typeById: _t, hash: _h, ...rest } = model;
  return JSON.stringify(rest);
}

let name: string;
let owner: Client;
let pool: Pool;
before(async () => {
  name = uniqueName('kept_columns');
  const url = await createDatabase(name, []);
  owner = new Client({ connectionString: url });
  await owner.connect();
  await owner.query(SQL);
  pool = new Pool({ connectionString: connectionAs(url, ROLE, 'pw'), max: 2 });
});
after(async () => {
  await pool?.end();
  if (owner) {
    await owner.query(`drop owned by ${ROLE}, ${GROUP}, ${OTHER}`).catch(() => undefined);
    await owner.end();
  }
  if (name) await dropDatabase(name);
  // roles belong to the cluster: dropped once the database that granted them is gone
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop role if exists ${ROLE}`);
  await admin.query(`drop role if exists ${GROUP}`);
  await admin.query(`drop role if exists ${OTHER}`);
  await admin.end();
});

test('after each change, the model with kept columns equals a full introspection', async () => {
  // with keys, as watch mode introspects
  const options = { ignoreRbac: false, columnKeys: true };
  let prev = await introspect(pool, ['k'], options);
  for (const [i, ddl] of STEPS.entries()) {
    await owner.query(ddl);
    const step = `step ${i + 1} (${ddl})`;
    const kept = await introspect(pool, ['k'], { ...options, previous: prev });
    const full = await introspect(pool, ['k'], options);
    assert.equal(data(kept), data(full), `${step}: the model differs from a full introspection's`);
    assert.equal(kept.hash, full.hash, step);
    // A change of roles asks for every table's columns again; any other keeps the untouched ones
    // (a wrongly kept table would make the models differ above).
    const before = new Set(prev.columnRows!.values());
    const same = [...kept.columnRows!.values()].filter((rows) => before.has(rows)).length;
    if (/^(grant|revoke) \w+ (to|from)|^alter role/.test(ddl)) assert.equal(same, 0, `${step}: columns kept across a change of roles`);
    else assert.ok(same >= 1, `${step}: no table kept its columns`);
    prev = kept;
  }
});

test('without keys asked for (no watch mode), every column is read and none is kept', async () => {
  const plain = await introspect(pool, ['k'], {});
  const keyed = await introspect(pool, ['k'], { columnKeys: true });
  const again = await introspect(pool, ['k'], { previous: keyed });
  assert.equal(data(plain), data(keyed));
  assert.equal(data(again), data(keyed));
  // nothing kept for a later introspection, and nothing taken from the keyed one
  assert.equal(plain.columnRows, undefined);
  assert.equal(again.columnRows, undefined);
  // a keyed introspection after one without keys reads every column
  const after = await introspect(pool, ['k'], { columnKeys: true, previous: plain });
  assert.equal(data(after), data(keyed));
  const before = new Set(keyed.columnRows!.values());
  assert.ok([...after.columnRows!.values()].every((rows) => !before.has(rows)));
});

test('a changed column changes the hash, with keys and without (a reload with an equal hash keeps its schema)', async () => {
  const before = [await introspect(pool, ['k'], {}), await introspect(pool, ['k'], { columnKeys: true })];
  await owner.query('comment on column k.person.name is \'The name.\'');
  const after = [await introspect(pool, ['k'], {}), await introspect(pool, ['k'], { columnKeys: true, previous: before[1] })];
  assert.notEqual(after[0].hash, before[0].hash);
  assert.notEqual(after[1].hash, before[1].hash);
  assert.equal((await introspect(pool, ['k'], {})).hash, after[0].hash);
});

test('the key covers what the columns are made of: an unchanged catalog asks for no column', async () => {
  const first = await introspect(pool, ['k'], { columnKeys: true });
  const again = await introspect(pool, ['k'], { columnKeys: true, previous: first });
  assert.equal(again.hash, first.hash);
  const before = new Set(first.columnRows!.values());
  for (const rows of again.columnRows!.values()) assert.ok(before.has(rows) || rows.length === 0, 'a table\'s columns were asked for again');
});

test('a change that moves row versions but not what the role is served keeps the hash (no new schema)', async () => {
  const first = await introspect(pool, ['k'], { columnKeys: true });
  for (const ddl of [
    `grant select on k.person to ${OTHER}`,
    `grant select (id) on k.note to ${OTHER}`,
    'alter table k.person alter column name set statistics 200',
  ]) {
    await owner.query(ddl);
    const again = await introspect(pool, ['k'], { columnKeys: true, previous: first });
    assert.equal(data(again), data(first), ddl);
    assert.equal(again.hash, first.hash, ddl);
  }
});
