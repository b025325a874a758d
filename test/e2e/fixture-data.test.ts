// The data of every reference database (test/fixtures/schemas) read and written through our
// server and PostGraphile v4: each query in test/fixtures/data/<fixture>/<name>.graphql must
// answer the same parsed JSON, v4's answer must equal the committed <name>.json and the
// statements our server ran must equal the committed <name>.sql.
//
// Queries run on one database shared by both servers. Files named `mutation-*` run afterwards,
// in name order, with our server on a second fresh database and v4 on the first (which the
// queries left untouched), so both see the same rows and the same sequence values.
//
//   UPDATE_SQL=1 npm test -- test/e2e/fixture-data.test.ts    rewrite the .sql files
//   UPDATE_JSON=1 npm test -- test/e2e/fixture-data.test.ts   rewrite the .json files from v4
//   FIXTURES=types,keys npm test -- test/e2e/fixture-data.test.ts   only these fixtures
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pluginOptions, references, v4PluginOptions, type Reference } from '../compat/export-v4';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { startV4, type V4Server } from '../helpers/v4';
import {
  compareWithV4, createStatementLog, fixtureNames, loadFixture, plainOptions, recorded, root, startOurs,
  type OurServer, type StatementLog,
} from './setup';

const dataDir = join(root, 'test/fixtures/data');

// Engine differences from v4 found by these fixtures, by `<fixture>/<name>`, kept visible until fixed.
const known: Record<string, string> = {};

// Deliberate differences from v4 (listed in the README). `cursorValues`: cursors are compared by
// what they decode to, because v4 rounds sort values to JavaScript numbers inside cursors and
// forum-dev keeps them exact. `ours`: the answer differs by design and is compared with our own
// recorded answer (`<name>.ours.json`) instead.
const deliberate: Record<string, { compare: 'cursorValues' | 'ours'; why: string }> = {
  'types/order-by-bigint-numeric': { compare: 'cursorValues', why: 'bigint/numeric sort values stay exact in cursors' },
  'types/mutation-09-order-by-bigint-after-writes': { compare: 'cursorValues', why: 'bigint sort values stay exact in cursors' },
  'types/mutation-10-cursor-pages': {
    compare: 'ours',
    why: 'rows whose sort value is null are paged through in their sorted place; v4 compares (value, key) as a row and never shows them after a cursor',
  },
  'arrays/order-by-array': { compare: 'cursorValues', why: 'bigint sort values stay exact in cursors' },
  'results/bigint-keys': { compare: 'cursorValues', why: 'bigint key values past 2^53 stay exact in cursors' },
  'results/mutation-03-bigint-set': {
    compare: 'ours',
    why: 'the bigints of a set a mutation returns stay exact; v4 rounds them to JavaScript numbers',
  },
  'arrays/all': {
    compare: 'ours',
    why: 'a null element of a composite array is null (v4 gives an object of nulls), and a JSON null element is the JSON text "null"',
  },
  'types/mutation-11-json-null': {
    compare: 'ours',
    why: 'a JSON column holding the JSON value null reads back as the JSON text "null"; v4 turns it into a missing value',
  },
};

/** Replaces every cursor string with the JSON it decodes to (numbers as JavaScript reads them). */
function decodeCursors(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeCursors);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k,
      /cursor$/i.test(k) && typeof v === 'string' ? JSON.parse(Buffer.from(v, 'base64').toString('utf8')) : decodeCursors(v)]));
  }
  return value;
}

interface Side {
  graphql: OurServer['graphql'];
  log: StatementLog;
}

/** Compares one fixture file's answers; error messages may be worded differently. */
async function compare(t: TestContext, key: string, dir: string, name: string, ours: Side, v4: V4Server): Promise<void> {
  const f = loadFixture(dir, name);
  ours.log.take();
  const [a, e] = await Promise.all([ours.graphql(f.query, f.variables), v4.graphql(f.query, f.variables)]);
  const statements = ours.log.take();

  const json = recorded(join(dir, `${name}.json`), `${JSON.stringify(e.body, null, 2)}\n`, !!process.env.UPDATE_JSON, true)!;
  assert.deepEqual(e.body, JSON.parse(json), 'v4 no longer answers as recorded');
  const sqlFile = join(dir, `${name}.sql`);
  const text = statements.map((s) => `${s}\n`).join('\n');

  const difference = deliberate[key];
  if (difference?.compare === 'ours') {
    const mine = recorded(join(dir, `${name}.ours.json`), `${JSON.stringify(a.body, null, 2)}\n`, !!process.env.UPDATE_JSON, true)!;
    assert.deepEqual(a.body, JSON.parse(mine), `differs from our recorded answer (${difference.why})`);
    assert.notDeepEqual(a.body, e.body, 'v4 now answers the same: this is no longer a difference');
  } else if (difference?.compare === 'cursorValues') {
    assert.equal(a.status, e.status, JSON.stringify(a.body));
    assert.deepEqual(decodeCursors(a.body), decodeCursors(e.body));
  } else {
    compareWithV4(t, a, e);
  }
  const sql = recorded(sqlFile, text, !!process.env.UPDATE_SQL);
  assert.ok(sql !== undefined, `${sqlFile} is missing (run with UPDATE_SQL=1)`);
  assert.equal(text, sql, 'our SQL changed (run with UPDATE_SQL=1 if intended)');
}

function fixtureSuite(ref: Reference): void {
  const dir = join(dataDir, ref.name);
  const names = fixtureNames(dir);
  const isMutation = (n: string) => n.startsWith('mutation-');
  let dbs: string[] = [];
  let servers: OurServer[] = [];
  let shared: Side;
  let own: Side;
  let v4: V4Server;

  before(async () => {
    dbs = [uniqueName(`e2e_data_${ref.name}`), uniqueName(`e2e_data_${ref.name}_own`)];
    const urls = await Promise.all(dbs.map((db) => createDatabase(db, ref.sqlFiles)));
    const logs = urls.map(() => createStatementLog());
    servers = await Promise.all(urls.map((url, i) => startOurs(url, { ...plainOptions(ref.schemas), ...pluginOptions(ref) }, { onStatement: logs[i].onStatement })));
    [shared, own] = servers.map((s, i) => ({ graphql: s.graphql, log: logs[i] }));
    v4 = await startV4({ connection: urls[0], schemas: ref.schemas, flags: ref.flags, ...v4PluginOptions(ref) });
  });

  after(async () => {
    await v4?.stop();
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(dbs.map((db) => dropDatabase(db)));
  });

  test('has data fixtures', () => assert.ok(names.length >= 5, `${names.length} fixtures in ${dir}`));
  for (const name of [...names.filter((n) => !isMutation(n)), ...names.filter(isMutation)]) {
    test(name, { todo: known[`${ref.name}/${name}`] }, (t) => compare(t, `${ref.name}/${name}`, dir, name, isMutation(name) ? own : shared, v4));
  }
}

const only = process.env.FIXTURES?.split(',');
for (const ref of references) {
  // The forum's queries (same layout) run in forum-queries.test.ts: as the tutorial's login role, with its flags.
  if (ref.name === 'forum' || (only && !only.includes(ref.name))) continue;
  if (ref.flags.length) throw new Error(`flags of ${ref.name} are not mapped to options`);
  describe(`data of ${ref.name} answers like PostGraphile v4`, () => fixtureSuite(ref));
}
