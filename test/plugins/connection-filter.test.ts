// The built-in connection filter against the real `postgraphile-plugin-connection-filter` 2.3 on
// v4: the same schema (forum example and the filter fixture, under its options, alone and with
// the simplify inflector) and the same answers where options change them; turned on by the
// names, plugin objects and `graphileBuildOptions` v4 users pass. The fixture's query answers
// are compared in test/e2e/fixture-data.test.ts (test/fixtures/data/filter).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  buildClientSchema, getIntrospectionQuery, getNamedType, isInputObjectType, parse, printSchema,
  type GraphQLInputObjectType, type GraphQLObjectType, type OperationDefinitionNode,
} from 'graphql';
import { tablesRead } from '../../src/realtime/live-tables';
import { parseOptions } from '../../src/cli/parse';
import { createPostGraphileSchema, middlewareOptions } from '../../src/library';
import { schemaOptions, type Options } from '../../src/options';
import { pluginName } from '../../src/plugins';
import { references, type Reference } from '../compat/export-v4';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema, startV4 } from '../helpers/v4';
import { createForumDb, forumV4Flags, plainOptions, root, startOurs, type ForumDb } from '../e2e/setup';

const PLUGIN = 'postgraphile-plugin-connection-filter';
const SIMPLIFY = '@graphile-contrib/pg-simplify-inflector';
const filterSql = join(root, 'test/fixtures/schemas/filter.sql');

let forum: ForumDb;
let fixture: { db: string; url: string };
before(async () => {
  forum = await createForumDb('connfilter');
  const db = uniqueName('connfilter_fixture');
  fixture = { db, url: await createDatabase(db, [filterSql]) };
});
after(async () => {
  await forum?.drop();
  if (fixture) await dropDatabase(fixture.db);
});

async function sameSchema(url: string, adminUrl: string, schemas: string[], v4Flags: string[], ours: Partial<Options>,
  graphileBuildOptions: Record<string, unknown>, plugins = [PLUGIN]): Promise<void> {
  const expected = await exportV4Schema({ connection: url, schemas, flags: v4Flags, appendPlugins: plugins, graphileBuildOptions });
  const server = await startOurs(url, { ...ours, appendPlugins: plugins, graphileBuildOptions });
  try {
    const differences = compareSdl(expected, printSchema(server.server.live.current().schema), {
      dbDescriptions: await loadDbComments(adminUrl, schemas),
    });
    assert.deepEqual(differences, [], differences.slice(0, 40).join('\n'));
  } finally {
    await server.close();
  }
}

test('forum schema with the connection filter (default options) matches v4 with the plugin', async () => {
  await sameSchema(forum.url, forum.adminUrl, ['forum_example'], forumV4Flags, {}, {});
});

test('forum schema with relations, simple collections and list-named relation filters matches v4 with the plugin', async () => {
  await sameSchema(forum.url, forum.adminUrl, ['forum_example'], [...forumV4Flags, '--simple-collections', 'both'], { simpleCollections: 'both' },
    { connectionFilterRelations: true, connectionFilterUseListInflectors: true });
});

test('filter fixture under restricting options (operators, field types, names, arrays, computed, setof, logic) matches v4', async () => {
  await sameSchema(fixture.url, fixture.url, ['filter'], [], plainOptions(['filter']), {
    connectionFilterAllowedOperators: ['isNull', 'equalTo', 'in', 'includes', 'anyEqualTo', 'containsElement'],
    connectionFilterAllowedFieldTypes: ['String', 'Int', 'Colour', 'Label', 'IntRange'],
    connectionFilterOperatorNames: { equalTo: 'eq', in: 'within' },
    connectionFilterArrays: false,
    connectionFilterComputedColumns: false,
    connectionFilterSetofFunctions: false,
    connectionFilterLogicalOperators: false,
  });
});

test('filter fixture with the simplify inflector as well (relation filters take its names) matches v4 with both plugins', async () => {
  await sameSchema(fixture.url, fixture.url, ['filter'], ['--simple-collections', 'only'], { ...plainOptions(['filter']), simpleCollections: 'only' },
    { connectionFilterRelations: true, pgOmitListSuffix: true, connectionFilterUseListInflectors: true }, [PLUGIN, SIMPLIFY]);
});

// Other fixture schemas with relations on: smart-comment keys (composite types' too), every core
// type, extension types, functions and enum tables.
for (const name of ['tags', 'types', 'extensions', 'functions', 'enumtables']) {
  test(`${name} schema with the connection filter and its relations matches v4 with the plugin`, async () => {
    const ref = references.find((r) => r.name === name)!;
    const db = uniqueName(`connfilter_${name}`);
    const url = await createDatabase(db, ref.sqlFiles);
    try {
      await sameSchema(url, url, ref.schemas, ref.flags, plainOptions(ref.schemas), { connectionFilterRelations: true });
    } finally {
      await dropDatabase(db);
    }
  });
}

test('null and empty objects allowed by the options, renamed operators and simple collections answer as v4', async () => {
  const gbo = { connectionFilterAllowNullInput: true, connectionFilterAllowEmptyObjectInput: true, connectionFilterOperatorNames: { equalTo: 'eq' }, connectionFilterRelations: true };
  const v4 = await startV4({ connection: fixture.url, schemas: ['filter'], flags: ['--simple-collections', 'both'], appendPlugins: [PLUGIN], graphileBuildOptions: gbo });
  try {
    const ours = await startOurs(fixture.url, { ...plainOptions(['filter']), simpleCollections: 'both', appendPlugins: [PLUGIN], graphileBuildOptions: gbo });
    try {
      const query = `{
        a: allAuthors(filter: {}) { nodes { id } }
        b: allAuthors(filter: null) { totalCount }
        c: allAuthors(filter: { name: null, born: {} }) { nodes { id } }
        d: allAuthors(filter: { name: { eq: "Bob", in: null } }) { nodes { id } }
        e: allItems(filter: { notesByItemId: { some: {}, none: { stars: { eq: 1 } } }, and: [{}] }) { nodes { id } }
        f: allItemsList(filter: { qty: { lessThan: 4 } }, orderBy: QTY_DESC) { id }
        g: authorById(id: 1) { itemsByAuthorIdList(filter: { title: { startsWith: "b" } }) { id } }
        h: numbersList(filter: { in: [2, 5, 9] })
        i: cheapItemsList(max: "3", filter: { done: { eq: true } }) { id }
      }`;
      const expected = await v4.graphql(query);
      assert.equal(expected.body.errors, undefined, JSON.stringify(expected.body.errors));
      assert.deepEqual((await ours.graphql(query)).body, expected.body);
      assert.deepEqual(expected.body.data.d.nodes, [{ id: 2 }]);
      assert.deepEqual(expected.body.data.h, [2, 5]);
    } finally {
      await ours.close();
    }
  } finally {
    await v4.stop();
  }
});

test('--append-plugins and .postgraphilerc.js turn it on with graphileBuildOptions; off, the schema has no filter', async () => {
  const cwd = fs.mkdtempSync(join(os.tmpdir(), 'forum-dev-filter-'));
  fs.writeFileSync(join(cwd, '.postgraphilerc.js'), 'module.exports = { options: { graphileBuildOptions: { connectionFilterRelations: true, connectionFilterOperatorNames: { equalTo: "eq" } } } };');
  const o = schemaOptions(parseOptions(['--append-plugins', PLUGIN], {}, cwd));
  assert.equal(o.connectionFilter?.relations, true);
  assert.equal(o.connectionFilter?.allowNullInput, false);
  assert.deepEqual(o.connectionFilter?.operatorNames, { equalTo: 'eq' });
  assert.equal(schemaOptions(parseOptions([], {}, cwd)).connectionFilter, undefined);
  const bad = fs.mkdtempSync(join(os.tmpdir(), 'forum-dev-filter-'));
  fs.writeFileSync(join(bad, '.postgraphilerc.js'), 'module.exports = { options: { graphileBuildOptions: { connectionFilterRelations: "yes" } } };');
  assert.throws(() => schemaOptions(parseOptions(['--append-plugins', PLUGIN], {}, bad)), /graphileBuildOptions.connectionFilterRelations must be true or false, not "yes"/);
  for (const d of [cwd, bad]) fs.rmSync(d, { recursive: true, force: true });

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = require(join(root, 'test/compat/node_modules', PLUGIN));
  assert.equal(pluginName(plugin), PLUGIN);
  const middleware = middlewareOptions('postgres:///x', 'public', { appendPlugins: [plugin], graphileBuildOptions: { connectionFilterLogicalOperators: false } });
  assert.equal(schemaOptions(middleware).connectionFilter?.logicalOperators, false);
  const withFilter = await createPostGraphileSchema(fixture.url, 'filter', { appendPlugins: [plugin], graphileBuildOptions: { connectionFilterRelations: true } });
  const args = (withFilter.getQueryType()!.getFields().allItems.args);
  assert.equal(args.find((a) => a.name === 'filter')?.type.toString(), 'ItemFilter');
  assert.ok((withFilter.getType('ItemFilter') as GraphQLObjectType).getFields().notesByItemId);
  // live queries: a filter across relations or computed columns may read any table
  const read = (q: string) => tablesRead(withFilter, (parse(q).definitions[0] as OperationDefinitionNode).selectionSet, {});
  assert.deepEqual(read('{ allItems(filter: { qty: { equalTo: 1 } }) { nodes { id } } }'), new Set(['filter.item']));
  assert.equal(read('{ allItems(filter: { notesByItemIdExist: true }) { nodes { id } } }'), 'any');
  assert.equal(read('{ allItems(filter: { or: [{ qty: { equalTo: 1 } }, { titleLength: { equalTo: 1 } }] }) { nodes { id } } }'), 'any');
  assert.equal(read('query ($f: ItemFilter) { allItems(filter: $f) { nodes { id } } }'), 'any');
  const plain = await createPostGraphileSchema(fixture.url, 'filter');
  assert.equal(plain.getQueryType()!.getFields().allItems.args.some((a) => a.name === 'filter'), false);
  assert.equal(plain.getType('ItemFilter'), undefined);
});

test('forum answers with relation, computed column and enum filters are v4 with the plugin', async () => {
  const gbo = { connectionFilterRelations: true };
  const v4 = await startV4({ connection: forum.url, schemas: ['forum_example'], flags: forumV4Flags, appendPlugins: [PLUGIN], graphileBuildOptions: gbo });
  try {
    const ours = await startOurs(forum.url, { appendPlugins: [PLUGIN], graphileBuildOptions: gbo });
    try {
      const query = `{
        allPeople(filter: { postsByAuthorId: { some: { headline: { includesInsensitive: "a" } } }, fullName: { notLike: "%x%" } }, first: 3) { totalCount nodes { fullName } }
        allPosts(filter: { personByAuthorId: { firstName: { greaterThan: "M" } }, topic: { in: [DISCUSSION, INSPIRATION] } }, first: 5) { totalCount nodes { headline topic } }
        personById(id: 1) { postsByAuthorId(filter: { not: { topic: { isNull: true } } }) { totalCount } }
      }`;
      const expected = await v4.graphql(query);
      assert.equal(expected.body.errors, undefined, JSON.stringify(expected.body.errors));
      assert.ok(expected.body.data.allPosts.totalCount > 0 && expected.body.data.allPeople.totalCount > 0, JSON.stringify(expected.body.data));
      assert.deepEqual((await ours.graphql(query)).body, expected.body);
    } finally {
      await ours.close();
    }
  } finally {
    await v4.stop();
  }
});

/**
 * Every operator of every filterable column, with values read from the rows themselves (so each
 * type's own input form), answers as v4 with the plugin: casts, padding, domains, citext, …
 */
async function everyOperator(ref: Reference, collections: Array<[string, string]>): Promise<number> {
  const db = uniqueName(`connfilter_ops_${ref.name}`);
  const url = await createDatabase(db, ref.sqlFiles);
  let probes = 0;
  try {
    const v4 = await startV4({ connection: url, schemas: ref.schemas, appendPlugins: [PLUGIN] });
    try {
      const ours = await startOurs(url, { ...plainOptions(ref.schemas), appendPlugins: [PLUGIN] });
      try {
        const schema = buildClientSchema((await v4.graphql(getIntrospectionQuery())).body.data);
        for (const [collection, filterName] of collections) {
          const filter = schema.getType(filterName) as GraphQLInputObjectType;
          for (const column of Object.values(filter.getFields())) {
            const ops = getNamedType(column.type) as GraphQLInputObjectType;
            if (!isInputObjectType(ops) || !ops.getFields().equalTo) continue;
            const read = await v4.graphql(`{ ${collection} { nodes { ${column.name} } } }`);
            if (read.body.errors) continue; // an object type (interval, range) needs a selection: the fixtures cover those
            const values = read.body.data[collection].nodes.filter(Boolean).map((n: Record<string, unknown>) => n[column.name]).filter((v: unknown) => v != null);
            const value = values[0];
            if (value === undefined) continue;
            // one request per column: each operator is an aliased field with its own variable
            const vars: string[] = [];
            const fields: string[] = [];
            const given: Record<string, unknown> = {};
            for (const [op, f] of Object.entries(ops.getFields())) {
              const type = String(f.type);
              let v: unknown = value;
              if (op === 'isNull') v = false;
              else if (op.startsWith('any')) v = Array.isArray(value) ? value[0] : undefined;
              else if (type.startsWith('[') && !Array.isArray(value)) v = [value];
              else if (type === 'String' && typeof value !== 'string') v = undefined;
              if (v === undefined || /^contains(Key|AllKeys|AnyKeys|Element)$/.test(op)) continue;
              vars.push(`$${op}: ${type}`);
              fields.push(`${op}: ${collection}(filter: { ${column.name}: { ${op}: $${op} } }) { nodes { nodeId } }`);
              given[op] = v;
            }
            const query = `query (${vars.join(', ')}) { ${fields.join('\n')} }`;
            const [expected, actual] = await Promise.all([v4.graphql(query, given), ours.graphql(query, given)]);
            const failed = (r: { body: { errors?: Array<{ path?: unknown }> } }) => (r.body.errors ?? []).map((e) => JSON.stringify(e.path)).sort();
            assert.deepEqual(actual.body.data, expected.body.data, `${collection} ${column.name} ${JSON.stringify(value)}: ${JSON.stringify(expected.body.errors ?? actual.body.errors)}`);
            assert.deepEqual(failed(actual), failed(expected));
            probes += fields.length;
          }
        }
      } finally {
        await ours.close();
      }
    } finally {
      await v4.stop();
    }
  } finally {
    await dropDatabase(db);
  }
  return probes;
}

test('every operator on every column of the types and extensions fixtures answers as v4 with the plugin', async () => {
  const types = references.find((r) => r.name === 'types')!;
  const extensions = references.find((r) => r.name === 'extensions')!;
  const counts = await Promise.all([
    everyOperator(types, [['allNullableTypes', 'NullableTypeFilter']]),
    everyOperator(extensions, [['allThings', 'ThingFilter']]),
  ]);
  assert.ok(counts.every((n) => n > 100), `probes: ${counts.join(', ')}`);
});
