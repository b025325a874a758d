// Schemas PostGraphile v4 refuses to build (smart comments it rejects, two fields of one type
// with one name) are refused here too, with a message naming the object and what to change; v4
// is run on the same database as the reference.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from 'pg';
import { introspect } from '../../src/introspection/introspect';
import { buildGraphQLSchema } from '../../src/schema/build';
import { adminUrl, dropDatabase, uniqueName, withDatabase } from '../helpers/db';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const v4 = require(join(__dirname, '../compat/node_modules/postgraphile')) as {
  createPostGraphileSchema: (url: string, schemas: string[], options: object) => Promise<unknown>;
};

// `v4: false`: v4 does not refuse the build there (it throws from a promise nobody awaits, so its
// process dies of an unhandled rejection, or it logs and leaves out what uses the object); it is
// not run for those.
const cases: Array<{ name: string; sql: string; ours: RegExp; v4?: false }> = [
  {
    name: '@omit read without what needs reading',
    sql: `create table s.t (id int primary key, secret text); comment on column s.t.secret is E'@omit read';`,
    ours: /@omit on column s\.t\.secret: 'update,create,delete,all,many' must be omitted when 'read' is omitted/,
  },
  {
    name: '@omit :R (abbreviated) without what needs reading',
    sql: `create table s.t (id int primary key); comment on table s.t is E'@omit :RC';`,
    ours: /@omit on s\.t: 'update,delete,all,many' must be omitted/,
  },
  {
    name: '@uniqueKey naming no column',
    sql: `create table s.t (id int); create view s.v as select id from s.t; comment on view s.v is E'@uniqueKey nope';`,
    ours: /@uniqueKey on view s\.v names 'nope'/,
  },
  {
    name: 'enum table without rows',
    sql: `create table s.kind (name text primary key); comment on table s.kind is E'@enum';`,
    ours: /Enum table "s"\."kind" has no visible rows/,
    v4: false,
  },
  {
    name: '@enum on a domain naming no enum table',
    sql: `create domain s.d as text; comment on domain s.d is E'@enum nothing'; create function s.f(x s.d) returns int language sql stable as 'select 1';`,
    ours: /The domain s\.d says '@enum nothing', but no enum table or enum key named nothing was found/,
    // v4 logs this and leaves out what uses the domain
    v4: false,
  },
  {
    name: 'enum table key of two columns',
    sql: `create table s.kind (a text, b text, primary key (a, b)); insert into s.kind values ('x', 'y'); comment on table s.kind is E'@enum';`,
    ours: /enum key 'kind_pkey' has 2 columns/,
  },
  {
    name: 'a column and a computed column of one name',
    sql: `create table s.shape (id int primary key, area int);
      create function s.shape_area(x s.shape) returns int language sql stable as 'select 1';`,
    ours: /naming conflict has occurred - two entities have tried to define the same key 'area' on Shape/,
  },
  {
    name: 'a query function named like a table collection',
    sql: `create table s.post (id int primary key);
      create function s.all_posts() returns setof s.post language sql stable as 'select * from s.post';`,
    ours: /the same key 'allPosts' on Query/,
  },
];

for (const c of cases) {
  test(`refused with what to change: ${c.name}${c.v4 === false ? "" : " (v4 refuses it too)"}`, async () => {
    const db = uniqueName('smart_errors');
    const admin = new Client(adminUrl());
    await admin.connect();
    try {
      await admin.query(`create database ${db}`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(adminUrl(), db);
    try {
      const client = new Client(url);
      await client.connect();
      try {
        await client.query(`create schema s; ${c.sql}`);
        if (c.v4 !== false) await assert.rejects(v4.createPostGraphileSchema(url, ['s'], {}), 'v4 builds this schema');
        await assert.rejects(async () => buildGraphQLSchema(await introspect(client, ['s']), { schemas: ['s'] }), c.ours);
      } finally {
        await client.end();
      }
    } finally {
      await dropDatabase(db);
    }
  });
}
