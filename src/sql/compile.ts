// A query operation → ONE SQL statement that returns the whole `data` object as JSON text. Root
// fields, nested relations and connections all become subqueries of a single select.
import {
  GraphQLObjectType, getNamedType, type FragmentDefinitionNode, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { Model, PgAttribute, PgClass } from '../introspection/model';
import { compileConnection } from './connection';
import { compile, sql, type CompiledSQL, type SQL } from './fragment';
import { decodeNodeId } from './node-id';
import {
  aliasRef, fieldPlan, jsonObject, nodeAliasOf, procExpr, rowObject, schemaPlan, unhandled, type Compiler,
} from './rows';
import { argumentValues, collectFields, subSelections, type CollectedField, type ExecContext } from './selection';
import { inputExpr, plausibleValue, validKeyValue, type OutputOptions } from './values';

export interface OperationInput {
  schema: GraphQLSchema;
  model: Model;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  output?: OutputOptions;
}

export function makeCompiler(input: OperationInput): Compiler {
  let n = 0;
  const plan = schemaPlan(input.schema);
  const c: Compiler = {
    schema: input.schema, fragments: input.fragments, variables: input.variables, plan,
    output: { ...input.output, enumNames: plan.enumNames, geometricTypes: plan.geometricTypes },
    lookupType: (id) => {
      const t = input.model.typeById.get(id);
      if (!t) throw new Error(`Unknown type ${id}`);
      return t;
    },
    classById: (id) => input.model.classById.get(id)!,
    alias: () => sql.raw(`__t${++n}`),
    rootObject: (sets) => rootObject(c, sets),
  };
  return c;
}

/** Root fields that graphql-js answers itself (schema introspection). */
export const isMetaField = (name: string) => name === '__schema' || name === '__type';

export function rootFields(c: ExecContext, sets: readonly SelectionSetNode[]): CollectedField[] {
  return collectFields(c, c.schema.getQueryType()!, sets);
}

export function rootObject(c: Compiler, sets: readonly SelectionSetNode[], only?: Set<string>): SQL {
  const pairs: Array<[string, SQL]> = [];
  for (const f of rootFields(c, sets)) {
    if (isMetaField(f.name) || (only && !only.has(f.key))) continue;
    pairs.push([f.key, rootField(c, f)]);
  }
  return jsonObject(pairs);
}

/** One row of `table` by key values (already checked), as the selection's JSON object. */
function rowByKeys(c: Compiler, table: PgClass, keys: PgAttribute[], values: unknown[], f: CollectedField, type: GraphQLObjectType): SQL {
  const a = c.alias();
  const where = keys.map((k, i) => sql`${a}.${sql.ident(k.name)} = ${inputExpr(values[i], c.lookupType(k.typeId), c.lookupType)}`);
  const obj = rowObject(c, aliasRef(a, table), type, subSelections(f));
  return sql`(select ${obj} from ${sql.ident(table.namespaceName, table.name)} as ${a} where ${sql.join(where, ' and ')})`;
}

/** The row a node id names; null when it names no row of `table`, an error when it is forged. */
function rowByNodeId(c: Compiler, table: PgClass, values: unknown[], f: CollectedField, type: GraphQLObjectType): SQL {
  const keys = table.primaryKey!.keyAttributeNums.map((num) => table.attributes.find((x) => x.num === num)!);
  // A forged id of this table's alias (key values missing, extra, or out of their type's range)
  // is refused before SQL, as the mutations refuse it.
  if (values.length !== keys.length || keys.some((k, i) => !plausibleValue(values[i], c.lookupType(k.typeId)))) {
    throw new Error('Invalid nodeId: it is not a node identifier issued by this API.');
  }
  return rowByKeys(c, table, keys, values, f, type);
}

function rootField(c: Compiler, f: CollectedField): SQL {
  if (f.name === '__typename') return sql.literal('Query');
  const p = fieldPlan(f);
  if (!p || !f.field) throw new Error(`Cannot query field "${f.name}" on type "Query".`);
  const named = getNamedType(f.field.type);
  switch (p.kind) {
    case 'queryRoot': return rootObject(c, subSelections(f));
    case 'queryNodeId': return sql.literal('query');
    case 'node': {
      // As v4: `query` is the Query object itself, and any id that names no row (not an id,
      // an unknown type, keys of the wrong number or kind) is null, never an error.
      const nodeId = argumentValues(c, f)[c.plan.nodeIdField];
      if (nodeId === 'query') return rootObject(c, subSelections(f));
      let decoded: { alias: string; keys: unknown[] };
      try {
        decoded = decodeNodeId(nodeId);
      } catch {
        return sql`null::json`;
      }
      const node = c.plan.nodeByAlias.get(decoded.alias);
      if (!node) return sql`null::json`;
      const table = node.table;
      const keys = table.primaryKey!.keyAttributeNums.map((num) => table.attributes.find((x) => x.num === num)!);
      if (decoded.keys.length !== keys.length || keys.some((k, i) => !validKeyValue(decoded.keys[i], c.lookupType(k.typeId), c.lookupType))) {
        return sql`null::json`;
      }
      return rowByKeys(c, table, keys, decoded.keys, f, c.schema.getType(node.typeName) as GraphQLObjectType);
    }
    case 'rowByNodeId': {
      const { alias, keys } = decodeNodeId(argumentValues(c, f)[c.plan.nodeIdField]);
      if (alias !== nodeAliasOf(c, p.table)) return sql`null::json`;
      return rowByNodeId(c, p.table, keys, f, named as GraphQLObjectType);
    }
    case 'rowByKeys': {
      const args = argumentValues(c, f);
      // arguments are declared in key column order
      return rowByKeys(c, p.table, p.keys, p.keys.map((_, i) => args[f.field!.args[i].name]), f, named as GraphQLObjectType);
    }
    case 'allRows':
      return compileConnection(c, {
        source: sql.ident(p.table.namespaceName, p.table.name), alias: c.alias(), table: p.table,
        where: [], natural: false, nodeType: c.lookupType(p.table.typeId), viewUniqueKey: true,
      }, f);
    case 'proc':
      return procExpr(c, p, f, null);
    case 'column': case 'nodeId': case 'forward': case 'backward': case 'mutation': case 'payloadRow':
    case 'payloadQuery': case 'payloadClientMutationId': case 'payloadDeletedNodeId': case 'payloadEdge':
    case 'payloadForward': case 'payloadResult':
      throw new Error(`Field "${f.name}" cannot be read on Query.`);
  }
  return unhandled(p);
}

/** The whole query operation as one statement returning `data` as JSON text. */
export function compileQuery(input: OperationInput, only?: Set<string>): CompiledSQL {
  const c = makeCompiler(input);
  const body = rootObject(c, [input.operation.selectionSet], only);
  return compile(sql`select (${body})::text as data`);
}
