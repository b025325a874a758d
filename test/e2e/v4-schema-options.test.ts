// PostGraphile v4's options that change the schema, each on the options fixture (every variant
// the option handles, see test/fixtures/schemas/options.sql): v4 exports its SDL with the option
// under v4's own name (a CLI flag, or `.postgraphilerc.js` options for what has no flag) and our
// schema built with the same option must be the same. One database for all of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, isInputObjectType, isInterfaceType, isObjectType, printSchema, type GraphQLSchema } from 'graphql';
import { Client, Pool } from 'pg';
import { defaultOptions, schemaOptions, type Options } from '../../src/options';
import { introspect } from '../../src/introspection/introspect';
import { buildGraphQLSchema } from '../../src/schema/build';
import { exportSchema } from '../../src/watch/export';
import { createPostGraphileSchema, middlewareOptions } from '../../src/library';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema, type V4Options } from '../helpers/v4';
import { plainOptions, root } from './setup';

const SCHEMAS = ['opts'];
const AUTH = 'forum_dev_opts_authenticator';
let dbName: string;
let url: string;
let comments: Set<string>;

before(async () => {
  dbName = uniqueName('e2e_v4_options');
  url = await createDatabase(dbName, [join(root, 'test/fixtures/schemas/options.sql')]);
  comments = await loadDbComments(url, SCHEMAS);
  // with `enableTags: false` whole comments, tags and all, are descriptions
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ description: string }>('select description from pg_description');
    for (const r of rows) comments.add(r.description);
  } finally {
    await client.end();
  }
});
after(async () => {
  if (dbName) await dropDatabase(dbName);
});

/** Our schema for the fixture with these options, introspected over `connection`. */
async function ourSchema(connection: string, extra: Partial<Options>): Promise<GraphQLSchema> {
  const options = schemaOptions({ ...defaultOptions, ...plainOptions(SCHEMAS), connection, ...extra } as Options);
  const pool = new Pool({ connectionString: connection, max: 1 });
  try {
    return buildGraphQLSchema(await introspect(pool, options.schemas, options), options);
  } finally {
    await pool.end();
  }
}

interface OptionSet {
  name: string;
  v4: Omit<V4Options, 'connection' | 'schemas'>;
  ours: Partial<Options>;
}

const sets: OptionSet[] = [
  { name: '-a, --classic-ids', v4: { flags: ['--classic-ids'] }, ours: { classicIds: true } },
  { name: '--no-ignore-indexes', v4: { flags: ['--no-ignore-indexes'] }, ours: { ignoreIndexes: false } },
  { name: '--include-extension-resources', v4: { flags: ['--include-extension-resources'] }, ours: { includeExtensionResources: true } },
  { name: '--use-partitioned-parent', v4: { flags: ['--use-partitioned-parent'] }, ours: { usePartitionedParent: true } },
  { name: '--legacy-relations omit', v4: { flags: ['--legacy-relations', 'omit'] }, ours: { legacyRelations: 'omit' } },
  { name: '--legacy-relations only', v4: { flags: ['--legacy-relations', 'only'] }, ours: { legacyRelations: 'only' } },
  { name: '--legacy-json-uuid', v4: { flags: ['--legacy-json-uuid'] }, ours: { legacyJsonUuid: true } },
  {
    name: 'graphileBuildOptions pgUseCustomNetworkScalars, orderByNullsLast, pgStrictFunctions, pgGeometricTypes',
    v4: { graphileBuildOptions: { pgUseCustomNetworkScalars: true, orderByNullsLast: true, pgStrictFunctions: true, pgGeometricTypes: true } },
    ours: { graphileBuildOptions: { pgUseCustomNetworkScalars: true, orderByNullsLast: true, pgStrictFunctions: true, pgGeometricTypes: true } },
  },
  { name: 'enableTags: false', v4: { rcOptions: { enableTags: false } }, ours: { enableTags: false } },
  {
    name: '--classic-ids with the simplify inflector',
    v4: { flags: ['--classic-ids'], appendPlugins: ['@graphile-contrib/pg-simplify-inflector'] },
    ours: { classicIds: true, appendPlugins: ['@graphile-contrib/pg-simplify-inflector'] },
  },
];

// v4's SDL per option set, exported once (each export starts v4) and shared by the tests below.
const v4Sdl = new Map<string, Promise<string>>();
const exported = (name: string, v4: OptionSet['v4']) => {
  if (!v4Sdl.has(name)) v4Sdl.set(name, exportV4Schema({ connection: url, schemas: SCHEMAS, ...v4 }));
  return v4Sdl.get(name)!;
};

function assertSame(expected: string, actual: GraphQLSchema): void {
  const diffs = compareSdl(expected, printSchema(actual), { dbDescriptions: comments });
  assert.deepEqual(diffs, [], diffs.slice(0, 40).join('\n'));
}

test('without options the fixture schema is v4\'s', async () => {
  assertSame(await exported('none', {}), await ourSchema(url, {}));
});

for (const set of sets) {
  test(`schema with ${set.name} matches v4's`, async () => {
    const [expected, baseline] = await Promise.all([exported(set.name, set.v4), exported('none', {})]);
    assert.notEqual(expected, baseline, `v4's schema does not change with ${set.name}: the fixture does not exercise it`);
    assertSame(expected, await ourSchema(url, set.ours));
  });
}

test('as a non-superuser authenticator, --classic-ids --no-ignore-indexes --legacy-relations only give v4\'s schema', async () => {
  // the role is this file's own, so no other test file creates it at the same time
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`do $$ begin
      if not exists (select from pg_roles where rolname = '${AUTH}') then
        create role ${AUTH} login noinherit password '${AUTH}';
      end if;
    end $$`);
    await client.query(`grant usage on schema opts to ${AUTH}`);
  } finally {
    await client.end();
  }
  const flags = ['--classic-ids', '--no-ignore-indexes', '--legacy-relations', 'only'];
  const expected = await exported('auth', { flags });
  assertSame(expected, await ourSchema(connectionAs(url, AUTH, AUTH), { classicIds: true, ignoreIndexes: false, legacyRelations: 'only' }));
});

/** Type names in order, each followed by its field names in order. */
function order(schema: GraphQLSchema): string[] {
  return Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__')).flatMap((t) => [
    t.name,
    ...(isObjectType(t) || isInterfaceType(t) || isInputObjectType(t) ? Object.keys(t.getFields()).map((f) => `${t.name}.${f}`) : []),
  ]);
}

test('--sort-export writes the schema sorted as v4 does (SDL and JSON)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forum-dev-sort-'));
  try {
    const files = { exportSchemaGraphql: join(dir, 'schema.graphql'), exportSchemaJson: join(dir, 'schema.json') };
    await exportSchema(await ourSchema(url, {}), { ...files, sortExport: true });
    const expected = buildSchema(await exported('--sort-export', { flags: ['--sort-export'] }));
    const ours = buildSchema(readFileSync(files.exportSchemaGraphql, 'utf8'));
    assert.deepEqual(order(ours), order(expected));
    assert.notDeepEqual(order(buildSchema(await exported('none', {}))), order(expected), 'v4 sorts the export');
    const json = JSON.parse(readFileSync(files.exportSchemaJson, 'utf8'));
    const types = json.data.__schema.types as Array<{ name: string; fields: Array<{ name: string }> | null }>;
    const sorted = (names: string[]) => assert.deepEqual(names, [...names].sort());
    sorted(types.map((t) => t.name));
    // graphql-js's own introspection types are left as they are (v4 sorts with graphql-js too)
    for (const t of types) if (!t.name.startsWith('__')) sorted((t.fields ?? []).map((f) => f.name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the library takes the options under v4\'s names: createPostGraphileSchema and postgraphile()', async () => {
  const gbo = { pgUseCustomNetworkScalars: true, orderByNullsLast: true, pgStrictFunctions: true, pgGeometricTypes: true };
  assertSame(await exported('-a, --classic-ids', { flags: ['--classic-ids'] }), await createPostGraphileSchema(url, SCHEMAS, { classicIds: true }));
  assertSame(await exported('enableTags: false', { rcOptions: { enableTags: false } }), await createPostGraphileSchema(url, 'opts', { enableTags: false }));
  const gboSet = sets.find((s) => s.v4.graphileBuildOptions)!;
  assertSame(await exported(gboSet.name, gboSet.v4), await createPostGraphileSchema(url, SCHEMAS, { graphileBuildOptions: gbo }));
  const o = schemaOptions(middlewareOptions(url, SCHEMAS, {
    classicIds: true, ignoreIndexes: false, includeExtensionResources: true, usePartitionedParent: true,
    legacyRelations: 'only', legacyJsonUuid: true, enableTags: false, graphileBuildOptions: gbo,
  }));
  assert.deepEqual(
    [o.classicIds, o.ignoreIndexes, o.includeExtensionResources, o.usePartitionedParent, o.legacyRelations, o.legacyJsonUuid, o.enableTags,
      o.pgUseCustomNetworkScalars, o.orderByNullsLast, o.pgStrictFunctions, o.pgGeometricTypes],
    [true, false, true, true, 'only', true, false, true, true, true, true],
  );
});
