// Answers under PostGraphile v4's options that change results, on the options fixture: each
// query in test/fixtures/option-data/<set>/<name>.graphql must answer as v4 started with the same
// options does, and v4's answer must equal the committed <name>.json. Several options share one
// server start: `classic` is --classic-ids and --subscriptions with orderByNullsLast false (nulls first),
// `nulls-last` is --legacy-json-uuid and --dynamic-json with orderByNullsLast, pgUseCustomNetworkScalars,
// pgStrictFunctions and pgGeometricTypes, `partitioned` the options that change what is exposed
// (--use-partitioned-parent, --include-extension-resources, --no-ignore-indexes, --legacy-relations
// only) with -N. A row whose selected fields are all null is null in a connection by default,
// but not with -N, nor with --subscriptions when it has a primary key (null-rows in each set).
// Mutations write back what is there, so both servers share one database.
//
//   UPDATE_JSON=1 npm test -- test/e2e/v4-option-answers.test.ts   rewrite the .json files from v4
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Options } from '../../src/options';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { startV4, type V4Options, type V4Server } from '../helpers/v4';
import { compareWithV4, fixtureNames, loadFixture, plainOptions, recorded, root, startOurs, type OurServer } from './setup';

const SCHEMAS = ['opts'];
const dataDir = join(root, 'test/fixtures/option-data');

interface AnswerSet {
  dir: string;
  v4: Omit<V4Options, 'connection' | 'schemas'>;
  ours: Partial<Options>;
}

const nullsLast = { orderByNullsLast: true, pgUseCustomNetworkScalars: true, pgStrictFunctions: true, pgGeometricTypes: true };
const sets: AnswerSet[] = [
  {
    dir: 'classic',
    v4: { flags: ['--classic-ids', '--subscriptions'], graphileBuildOptions: { orderByNullsLast: false } },
    ours: { classicIds: true, subscriptions: true, graphileBuildOptions: { orderByNullsLast: false } },
  },
  {
    dir: 'nulls-last',
    v4: { flags: ['--legacy-json-uuid', '--dynamic-json'], graphileBuildOptions: nullsLast },
    ours: { legacyJsonUuid: true, dynamicJson: true, graphileBuildOptions: nullsLast },
  },
  {
    dir: 'partitioned',
    v4: { flags: ['--use-partitioned-parent', '--include-extension-resources', '--no-ignore-indexes', '--legacy-relations', 'only', '-N'] },
    ours: { usePartitionedParent: true, includeExtensionResources: true, ignoreIndexes: false, legacyRelations: 'only', setofFunctionsContainNulls: false },
  },
];

// Differences from v4 found by these fixtures, by `<set>/<name>`, kept visible until fixed.
const known: Record<string, string> = {};

let dbName: string;
let url: string;
before(async () => {
  dbName = uniqueName('e2e_v4_option_answers');
  url = await createDatabase(dbName, [join(root, 'test/fixtures/schemas/options.sql')]);
});
after(async () => {
  if (dbName) await dropDatabase(dbName);
});

for (const set of sets) {
  describe(`answers with ${set.dir} options are v4's`, () => {
    const dir = join(dataDir, set.dir);
    let ours: OurServer;
    let v4: V4Server;
    before(async () => {
      [ours, v4] = await Promise.all([
        startOurs(url, { ...plainOptions(SCHEMAS), ...set.ours }),
        startV4({ connection: url, schemas: SCHEMAS, ...set.v4 }),
      ]);
    });
    after(async () => {
      await v4?.stop();
      await ours?.close();
    });
    const names = fixtureNames(dir);
    test('has query fixtures', () => assert.ok(names.length >= 3, `${names.length} fixtures in ${dir}`));
    for (const name of names) {
      test(name, { todo: known[`${set.dir}/${name}`] }, async (t) => {
        const f = loadFixture(dir, name);
        const [a, e] = await Promise.all([ours.graphql(f.query, f.variables), v4.graphql(f.query, f.variables)]);
        const json = recorded(join(dir, `${name}.json`), `${JSON.stringify(e.body, null, 2)}\n`, !!process.env.UPDATE_JSON, true)!;
        assert.deepEqual(e.body, JSON.parse(json), 'v4 no longer answers as recorded');
        compareWithV4(t, a, e);
      });
    }
  });
}
