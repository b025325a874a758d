// The `results` fixture (test/fixtures/schemas/results.sql) beyond what fixture-data compares:
// node ids through the library API (graphql-js execution, one resolver per root field) answer
// as v4 answered over HTTP, and errors have v4's exact shape, with and without --extended-errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphql, type GraphQLSchema } from 'graphql';
import { Pool } from 'pg';
import { createPostGraphileSchema } from '../../src/library';
import { references } from '../compat/export-v4';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { startV4, type V4Server } from '../helpers/v4';
import { loadFixture, plainOptions, root, startOurs, type OurServer } from './setup';

const ref = references.find((r) => r.name === 'results')!;
const dataDir = join(root, 'test/fixtures/data/results');
const extended = ['hint', 'detail', 'errcode'];

let db: string;
let url: string;
let pool: Pool;
let schema: GraphQLSchema;

before(async () => {
  db = uniqueName('e2e_results_api');
  url = await createDatabase(db, ref.sqlFiles);
  pool = new Pool({ connectionString: url });
  schema = await createPostGraphileSchema(pool, ref.schemas, {});
});

after(async () => {
  await pool?.end();
  if (db) await dropDatabase(db);
});

for (const name of ['node-query', 'node-bad-id', 'bigint-node-ids', 'bigint-keys']) {
  test(`library API: ${name} answers as v4 (recorded ${name}.json)`, async () => {
    const f = loadFixture(dataDir, name);
    const client = await pool.connect();
    try {
      const r = await graphql({ schema, source: f.query, variableValues: f.variables, contextValue: { pgClient: client } });
      const v4 = JSON.parse(readFileSync(join(dataDir, `${name}.json`), 'utf8'));
      assert.equal(r.errors, undefined, String(r.errors));
      const data = JSON.parse(JSON.stringify(r.data));
      if (name === 'bigint-keys') {
        // cursors past 2^53 stay exact (a deliberate difference); node ids are v4's
        const ids = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'cursor' ? undefined : v)));
        assert.deepEqual(ids(data), ids(v4.data));
      } else {
        assert.deepEqual(data, v4.data);
      }
    } finally {
      client.release();
    }
  });
}

async function errorsOf(server: { graphql: OurServer['graphql'] }): Promise<unknown> {
  const f = loadFixture(dataDir, 'mutation-02-error');
  const r = await server.graphql(f.query, f.variables);
  assert.equal(r.status, 200);
  return r.body.errors;
}

for (const flags of [[], ['--extended-errors', extended.join(',')]]) {
  test(`mutation errors have v4's shape${flags.length ? ' with --extended-errors' : ''}`, async () => {
    // each side on its own database: the mutation that succeeds writes nothing, but keep them apart
    const own = uniqueName('e2e_results_err');
    const ownUrl = await createDatabase(own, ref.sqlFiles);
    let ours: OurServer | undefined;
    let v4: V4Server | undefined;
    try {
      ours = await startOurs(ownUrl, { ...plainOptions(ref.schemas), extendedErrors: flags.length ? extended : [] });
      v4 = await startV4({ connection: url, schemas: ref.schemas, flags });
      const [mine, theirs] = await Promise.all([errorsOf(ours), errorsOf(v4)]);
      assert.deepEqual(mine, theirs);
      const first = (theirs as Array<Record<string, unknown>>)[0];
      assert.ok(first.locations, 'v4 sends locations');
      assert.equal('extensions' in first, flags.length > 0);
    } finally {
      await v4?.stop();
      await ours?.close();
      await dropDatabase(own);
    }
  });
}

test('setof interval elements in simple collections (--simple-collections both) answer as v4', async () => {
  const query = `{
    durationsList { years months days hours minutes seconds }
    allTasksList(orderBy: ID_ASC) { id splitsList { days hours minutes seconds } splitList { hours } }
  }`;
  const ours = await startOurs(url, { ...plainOptions(ref.schemas), simpleCollections: 'both' });
  const v4 = await startV4({ connection: url, schemas: ref.schemas, flags: ['--simple-collections', 'both'] });
  try {
    const [mine, theirs] = await Promise.all([ours.graphql(query), v4.graphql(query)]);
    assert.equal(theirs.body.errors, undefined, JSON.stringify(theirs.body));
    assert.deepEqual(mine.body, theirs.body);
    assert.equal(theirs.body.data.durationsList[0].days, 1, 'elements are objects, not null');
  } finally {
    await v4.stop();
    await ours.close();
  }
});
