// Row objects as JSON: a selection on a table row or composite value becomes one
// json_build_object(...) expression, with relations and computed columns as correlated
// subqueries, so a whole query tree is one statement.
import {
  GraphQLObjectType, getNamedType, isListType, isNonNullType, type GraphQLOutputType,
} from 'graphql';
import type { PgClass, PgType } from '../introspection/model';
import type { FieldPlan } from '../schema/plans';
import { nodeAlias } from '../schema/node';
import { sql, type SQL } from './fragment';
import { argumentValues, collectFields, subSelections, type CollectedField, type ExecContext } from './selection';
import { inputExpr, outputExpr, typeRef } from './values';
import { compileConnection } from './connection';

export interface Compiler extends ExecContext {
  lookupType: (id: string) => PgType;
  output: import('./values').OutputOptions;
  classById: (id: string) => PgClass;
  alias: () => SQL;
  /** Compiles a root-level (Query) selection; used by `query` fields. */
  rootObject: (sets: readonly import('graphql').SelectionSetNode[]) => SQL;
}

/** How to reach a row's columns: a FROM alias, or a composite value expression. */
export interface RowRef {
  column: (name: string) => SQL;
  whole: SQL;
  cls: PgClass;
}

export const aliasRef = (alias: SQL, cls: PgClass): RowRef => ({
  column: (name) => sql`${alias}.${sql.ident(name)}`, whole: alias, cls,
});

/** A row from a subquery that carries extra columns (paging): rebuilt as the table's row type. */
export const pageRowRef = (alias: SQL, cls: PgClass): RowRef => ({
  column: (name) => sql`${alias}.${sql.ident(name)}`,
  whole: sql`row(${sql.join(cls.attributes.map((a) => sql`${alias}.${sql.ident(a.name)}`), ', ')})::${sql.ident(cls.namespaceName, cls.name)}`,
  cls,
});

export function fieldPlan(f: CollectedField): FieldPlan | undefined {
  return f.field?.extensions?.forumDev as FieldPlan | undefined;
}

/** JSON object text from key/value pairs; json_build_object takes at most 100 arguments. */
export function jsonObject(pairs: Array<[string, SQL]>): SQL {
  if (pairs.length <= 50) {
    return sql`json_build_object(${sql.join(pairs.map(([k, v]) => sql`${sql.literal(k)}, ${v}`), ', ')})`;
  }
  const parts = pairs.map(([k, v], i) => sql`${sql.literal(`${i ? ',' : '{'}${JSON.stringify(k)}:`)} || coalesce(to_json(${v})::text, 'null')`);
  return sql`(${sql.join(parts, ' || ')} || '}')::json`;
}

export function base64Json(textExpr: SQL): SQL {
  return sql`translate(encode(convert_to(${textExpr}, 'utf8'), 'base64'), E'\\n', '')`;
}

export function nodeIdExpr(c: Compiler, row: RowRef): SQL {
  const pk = row.cls.primaryKey!.keyAttributeNums.map((n) => row.cls.attributes.find((a) => a.num === n)!);
  const parts = pk.map((a) => sql`to_json(${outputExpr(row.column(a.name), c.lookupType(a.typeId), c.lookupType, c.output)})::text`);
  return base64Json(sql`${sql.literal(`[${JSON.stringify(nodeAlias(row.cls))}`)} || ${sql.join(parts.map((p) => sql`',' || ${p}`), ' || ')} || ']'`);
}

export function rowObject(c: Compiler, row: RowRef, type: GraphQLObjectType, sets: readonly import('graphql').SelectionSetNode[]): SQL {
  const pairs: Array<[string, SQL]> = [];
  for (const f of collectFields(c, type, sets)) {
    pairs.push([f.key, rowField(c, row, type, f)]);
  }
  return jsonObject(pairs);
}

function rowField(c: Compiler, row: RowRef, type: GraphQLObjectType, f: CollectedField): SQL {
  if (f.name === '__typename') return sql.literal(type.name);
  const p = fieldPlan(f);
  if (!p || !f.field) throw new Error(`Cannot query field "${f.name}" on type "${type.name}".`);
  switch (p.kind) {
    case 'column':
    case 'compositeAttr':
      return valueExpr(c, row.column(p.attr.name), p.type, f);
    case 'nodeId':
      return nodeIdExpr(c, row);
    case 'forward': {
      const a = c.alias();
      const target = aliasRef(a, p.foreign);
      const where = p.keys.map((k, i) => sql`${a}.${sql.ident(p.foreignKeys[i].name)} = ${row.column(k.name)}`);
      return sql`(select ${rowObject(c, target, getNamedType(f.field.type) as GraphQLObjectType, subSelections(f))} from ${sql.ident(p.foreign.namespaceName, p.foreign.name)} as ${a} where ${sql.join(where, ' and ')})`;
    }
    case 'backward': {
      const a = c.alias();
      const where = p.keys.map((k, i) => sql`${a}.${sql.ident(k.name)} = ${row.column(p.foreignKeys[i].name)}`);
      if (p.single) {
        return sql`(select ${rowObject(c, aliasRef(a, p.table), getNamedType(f.field.type) as GraphQLObjectType, subSelections(f))} from ${sql.ident(p.table.namespaceName, p.table.name)} as ${a} where ${sql.join(where, ' and ')} limit 1)`;
      }
      return compileConnection(c, {
        source: sql.ident(p.table.namespaceName, p.table.name), alias: a, table: p.table, where,
        natural: false, nodeType: c.lookupType(p.table.typeId),
      }, f);
    }
    case 'proc':
      return procExpr(c, p, f, row);
    default:
      throw new Error(`Field "${f.name}" cannot be read here.`);
  }
}

/** A column-like value: scalars converted for output, composite values as nested objects. */
export function valueExpr(c: Compiler, expr: SQL, type: PgType, f: CollectedField): SQL {
  const gType = f.field!.type;
  const named = getNamedType(gType);
  const plan = (named.extensions as any)?.forumDev;
  if (named instanceof GraphQLObjectType && (plan?.kind === 'row' || plan?.kind === 'composite') && type.classId) {
    const cls = c.classById(type.classId);
    if (isListTypeDeep(gType) && type.isPgArray) {
      const a = c.alias();
      return sql`(case when (${expr}) is null then null else (select coalesce(json_agg(case when num_nonnulls(${a}.__e) = 0 then null else ${rowObject(c, { column: (n) => sql`(${a}.__e).${sql.ident(n)}`, whole: sql`${a}.__e`, cls }, named, subSelections(f))} end order by ${a}.__o), '[]'::json) from unnest(${expr}) with ordinality as ${a}(__e, __o)) end)`;
    }
    const v = c.alias();
    return sql`(select case when num_nonnulls(${v}.__v) = 0 then null else ${rowObject(c, { column: (n) => sql`(${v}.__v).${sql.ident(n)}`, whole: sql`${v}.__v`, cls }, named, subSelections(f))} end from (select ${expr} as __v) as ${v})`;
  }
  if (named instanceof GraphQLObjectType && type.isPgArray && type.arrayItemTypeId) {
    // arrays of ranges, intervals, points: convert each element, keep only the selected keys
    return outputExpr(expr, type, c.lookupType, c.output);
  }
  return outputExpr(expr, type, c.lookupType, c.output);
}

function isListTypeDeep(t: GraphQLOutputType): boolean {
  return isListType(isNonNullType(t) ? t.ofType : t);
}

/**
 * Function arguments as SQL, as v4 passes them: required arguments by position; optional ones
 * that are null or missing are left out so their defaults apply, later ones then go by name.
 */
export function procArgsSql(c: Compiler, p: FieldPlan & { kind: 'proc' }, args: Record<string, unknown>, first?: SQL): SQL {
  const inputNames: string[] = [];
  p.proc.argTypeIds.forEach((_, i) => {
    const mode = p.proc.argModes[i];
    if (mode === undefined || mode === 'i' || mode === 'b') inputNames.push(p.proc.argNames[i] ?? '');
  });
  const pgNames = inputNames.slice(p.computed ? 1 : 0);
  const requiredCount = Math.max(0, p.args.length - p.proc.argDefaultsNum);
  const out: SQL[] = [];
  let haveNames = true;
  for (let i = p.args.length - 1; i >= 0; i--) {
    const a = p.args[i];
    const value = args[a.name];
    if (i + 1 > requiredCount && haveNames && value == null) continue;
    const valueSql = inputExpr(value ?? null, a.type, c.lookupType);
    if (i + 1 > requiredCount && haveNames) {
      if (pgNames[i]) out.unshift(sql`${sql.ident(pgNames[i])} := ${valueSql}`);
      else {
        haveNames = false;
        out.unshift(valueSql);
      }
    } else out.unshift(valueSql);
  }
  return sql.join(first ? [first, ...out] : out, ', ');
}

export function procExpr(c: Compiler, p: FieldPlan & { kind: 'proc' }, f: CollectedField, row: RowRef | null): SQL {
  const args = argumentValues(c, f);
  const fn = sql.ident(p.proc.namespaceName, p.proc.name);
  const call = sql`${fn}(${procArgsSql(c, p, args, row ? row.whole : undefined)})`;
  if (p.returnsSet) {
    const a = c.alias();
    return compileConnection(c, {
      source: call, alias: a, table: p.table ?? p.record ?? null, where: [], natural: true, nodeType: p.returnType,
    }, f);
  }
  if (p.record) {
    // OUT parameters: the function in FROM names the record's columns.
    const a = c.alias();
    return sql`(select ${rowObject(c, aliasRef(a, p.record), getNamedType(f.field!.type) as GraphQLObjectType, subSelections(f))} from ${call} as ${a})`;
  }
  return valueExpr(c, call, p.returnType, f);
}

export { typeRef };
