// A reload's build reuses what a change did not touch (src/schema/reuse.ts). Whatever it reuses,
// the schema it serves must be the one a full build makes: after each of a sequence of DDL
// changes on a many-table schema, the reusing build's printed SDL and the database meaning of
// every field (plans) equal a from-scratch build's, the previous schema is left as it was, and
// the change summary (which skips what was reused) tells what comparing with a full build tells.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GraphQLSchema, isInputObjectType, isInterfaceType, isObjectType, printSchema } from 'graphql';
import { Pool } from 'pg';
import { introspect } from '../../src/introspection/introspect';
import { buildSchema, type SchemaOptions } from '../../src/schema/build';
import { validateNewTypes } from '../../src/schema/reuse';
import { makeSnapshot, type Snapshot } from '../../src/schema/snapshot';
import { diffSchemas, diffSchemasInSlices } from '../../src/watch/describe';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';

// Groups of tables joined by foreign keys, and groups joined only through a composite column
// type, a computed column, a function result; plus tables alone.
const SQL = `create schema r;
  create type r.mood as enum ('happy', 'sad');
  create domain r.short_text as text check (length(value) < 100);
  create type r.address as (street text, city r.short_text);
  create table r.person (id serial primary key, name r.short_text not null, mood r.mood, home r.address);
  create table r.post (id serial primary key, author_id int not null references r.person(id), title text, created_at timestamptz default now());
  create index on r.post (author_id);
  create table r.comment (id serial primary key, post_id int references r.post(id), body text);
  create table r.tag (id serial primary key, label text unique);
  create table r.post_tag (post_id int references r.post(id), tag_id int references r.tag(id), primary key (post_id, tag_id));
  create table r.city (id serial primary key, name text not null, population int);
  create table r.district (id serial primary key, city_id int references r.city(id), name text);
  create table r.shop (id serial primary key, name text, opened date, rating numeric(3,1));
  create table r.product (id serial primary key, shop_id int references r.shop(id), price numeric, sku text unique);
  create table r.alone_a (id int primary key, note text);
  create table r.alone_b (id int primary key, note text, moods r.mood[]);
  create table r.alone_c (code text primary key, span int4range);
  create table r.settings (key text primary key, value jsonb);
  create table r.audit (id bigserial primary key, at timestamptz not null default now(), what text);
  create table r.sensor (id serial primary key, label text);
  create table r.reading (id serial primary key, sensor_id int references r.sensor(id), value float8);
  create function r.shop_product_count(s r.shop) returns int language sql stable as 'select count(*)::int from r.product where shop_id = s.id';
  create function r.busy_cities() returns setof r.city language sql stable as 'select * from r.city';
  create function r.log(what text) returns r.audit language sql volatile as 'insert into r.audit (what) values (what) returning *';
  comment on table r.settings is 'Key-value settings.';
`;

/** Each step: DDL, then both builds are compared. */
const STEPS: string[] = [
  'alter table r.city add column area float8',
  'alter table r.shop add column closed boolean not null default false',
  'alter table r.district rename column name to title',
  'comment on column r.tag.label is \'What the tag says.\'',
  'comment on table r.alone_a is \'@name first_alone\nThe first table alone.\'',
  'alter table r.alone_b rename to solo_b',
  'create table r.fresh (id serial primary key, city_id int references r.city(id), label text)',
  'alter table r.alone_c add column shop_id int references r.shop(id)',
  'alter table r.product drop constraint product_shop_id_fkey',
  'drop table r.comment',
  'comment on table r.sensor is \'@omit create,delete\'',
  'alter table r.reading add constraint reading_value_key unique (value)',
  'alter type r.address add attribute zip text',
  'alter table r.audit add column home r.address',
  'create function r.city_density(c r.city) returns float8 language sql stable as \'select c.population / nullif(c.area, 0)\'',
  'drop function r.busy_cities()',
  'alter type r.mood add value \'calm\'',
  'create view r.big_city as select id, name from r.city where population > 1000000',
  'comment on view r.big_city is \'@primaryKey id\n@foreignKey (id) references r.city (id)\'',
  'alter table r.settings alter column value set not null',
  'alter table r.solo_b drop column moods',
  'create table r.settings_history (id serial primary key, key text references r.settings(key), old jsonb)',
  'drop table r.fresh',
  'alter table r.shop rename to store',
  // Two tables named alike: both builds refuse, with one message; then the clash goes away.
  'create table r.stores (id serial primary key)',
  'drop table r.stores',
  // A name GraphQL refuses: only validation finds it, in the reusing build as in the full one.
  'comment on column r.tag.label is \'@name 1label\'',
  'comment on column r.tag.label is \'What the tag says.\'',
  'create domain r.rating as numeric(3,1) check (value between 0 and 5)',
  'alter table r.store alter column rating type r.rating',
];

/** Every field's and input field's plan, by type and field name: what SQL will be compiled from. */
function plans(schema: GraphQLSchema): string {
  const out: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInputObjectType(type) && !isInterfaceType(type)) continue;
    for (const f of Object.values(type.getFields())) {
      out.push(`${type.name}.${f.name} ${JSON.stringify(f.extensions.forumDev ?? null)}`);
    }
  }
  const plan = schema.extensions.forumDev as Record<string, unknown>;
  const maps = Object.fromEntries(Object.entries(plan).map(([k, v]) => [k, v instanceof Map ? [...v].sort() : v]));
  out.push(JSON.stringify(maps));
  return out.join('\n');
}

/**
 * The schema as graphql-js's constructor makes it from the same root types: assemble.ts finds
 * the types its own way, and must find the same ones, in the same order, with the same
 * interface implementations.
 */
function assertAsConstructed(schema: GraphQLSchema, step: string): void {
  const twin = new GraphQLSchema({
    query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType(), types: [],
  });
  const mine = schema.getTypeMap();
  const theirs = twin.getTypeMap();
  assert.deepEqual(Object.keys(mine), Object.keys(theirs), `${step}: types or their order differ from the constructor's`);
  for (const name of Object.keys(theirs)) assert.equal(mine[name], theirs[name], `${step}: ${name} is another object`);
  for (const type of Object.values(theirs)) {
    if (!isInterfaceType(type)) continue;
    const [a, b] = [schema.getImplementations(type), twin.getImplementations(type)];
    assert.deepEqual(a.objects.map((o) => o.name), b.objects.map((o) => o.name), `${step}: implementations of ${type.name}`);
    assert.deepEqual(a.interfaces.map((o) => o.name), b.interfaces.map((o) => o.name), `${step}: interfaces of ${type.name}`);
    for (const o of b.objects) assert.ok(schema.isSubType(type, o), `${step}: ${o.name} is a ${type.name}`);
  }
}

let name: string;
let pool: Pool;
before(async () => {
  name = uniqueName('schema_reuse');
  const url = await createDatabase(name, []);
  pool = new Pool({ connectionString: url, max: 1 });
  await pool.query(SQL);
});
after(async () => {
  await pool?.end();
  if (name) await dropDatabase(name);
});

async function runSteps(options: SchemaOptions): Promise<void> {
  let prev: Snapshot = makeSnapshot(await introspect(pool, options.schemas, { ...options, columnKeys: true }), options, 1);
  assertAsConstructed(prev.schema, 'first build');
  let reusing = 0;
  let failing = 0;
  for (const [i, ddl] of STEPS.entries()) {
    await pool.query(ddl);
    // as a reload introspects: the columns of unchanged tables taken from the previous model
    const model = await introspect(pool, options.schemas, { ...options, columnKeys: true, previous: prev.model });
    const fullModel = await introspect(pool, options.schemas, options);
    const prevSdl = printSchema(prev.schema);
    const step = `step ${i + 1} (${ddl})`;
    let full: Snapshot;
    try {
      full = makeSnapshot(fullModel, options, prev.generation + 1);
    } catch (e) {
      assert.throws(() => makeSnapshot(model, options, prev.generation + 1, prev), { message: (e as Error).message }, step);
      failing++;
      continue;
    }
    const next = makeSnapshot(model, options, prev.generation + 1, prev);
    assert.equal(full.reuse, null, step);
    // makeSnapshot falls back to a full build when the reusing one fails: it must not have to
    const attempt = buildSchema(model, options, prev.memo);
    assert.equal(next.reuse !== null, attempt.reuse !== null, `${step}: fell back to a full build`);
    if (attempt.reusedTypes) assert.deepEqual(validateNewTypes(attempt.schema, attempt.reusedTypes), [], step);
    assertAsConstructed(next.schema, step);
    assertAsConstructed(full.schema, `${step}, full build`);
    assert.equal(printSchema(next.schema), printSchema(full.schema), `${step}: the SDL differs from a full build's`);
    assert.equal(plans(next.schema), plans(full.schema), `${step}: the plans differ from a full build's`);
    assert.deepEqual(next.warnings, full.warnings, step);
    assert.equal(printSchema(prev.schema), prevSdl, `${step}: the previous schema changed`);
    // The change summary skips what was reused; it must still tell what a full comparison tells.
    assert.deepEqual(await diffSchemasInSlices(prev.schema, next.schema), diffSchemas(prev.schema, full.schema), step);
    if (next.reuse) {
      assert.ok(next.reuse.reusedClasses > 0 && next.reuse.reusedTypes > 0, step);
      // Query's and Mutation's fields of untouched tables are the ones made last time (their
      // mutations with the new payload as type, the rest as made)
      const [q0, q1] = [prev.schema.getQueryType()!.getFields(), next.schema.getQueryType()!.getFields()];
      assert.ok(Object.keys(q1).some((k) => q1[k] === q0[k]), `${step}: no Query field taken from the previous build`);
      const [m0, m1] = [prev.schema.getMutationType()!.getFields(), next.schema.getMutationType()!.getFields()];
      assert.ok(Object.keys(m1).some((k) => m0[k] && m1[k] !== m0[k] && m1[k].args === m0[k].args), `${step}: no Mutation field taken from the previous build`);
      reusing++;
    }
    prev = next;
  }
  assert.equal(failing, 2);
  // Function and type changes rebuild everything; the table changes reuse the other groups.
  assert.ok(reusing >= STEPS.length - 8, `only ${reusing} of ${STEPS.length} builds reused anything`);
}

test('after each DDL change, the reusing build serves what a full build serves (v4 default options)', async () => {
  await runSteps({ schemas: ['r'] });
});

test('the same with simple collections, classic ids and the simplify inflector', async () => {
  // A fresh database for the same steps: the first run changed it.
  await pool.end();
  await dropDatabase(name);
  name = uniqueName('schema_reuse');
  pool = new Pool({ connectionString: await createDatabase(name, []), max: 1 });
  await pool.query(SQL);
  await runSteps({ schemas: ['r'], simpleCollections: 'both', classicIds: true, simplifyInflector: {} });
});

test('a snapshot made where no reload follows keeps nothing for one; a reload of it is a full build', async () => {
  const options: SchemaOptions = { schemas: ['r'] };
  const model = await introspect(pool, options.schemas, options);
  const kept = makeSnapshot(model, options, 1);
  const alone = makeSnapshot(model, options, 1, undefined, false);
  assert.ok(kept.memo, 'watch mode keeps the build memo');
  assert.equal(alone.memo, undefined);
  const next = makeSnapshot(model, options, 2, alone);
  assert.equal(next.reuse, null, 'nothing to reuse: a full build');
  assert.equal(printSchema(next.schema), printSchema(kept.schema));
});
