// Row objects as JSON: a selection on a table row or composite value becomes one
// json_build_object(...) expression, with relations and computed columns as correlated
// subqueries, so a whole query tree is one statement.
import {
  GraphQLObjectType, getNamedType, isListType, isNonNullType, type GraphQLOutputType,
  type GraphQLSchema, type SelectionSetNode,
} from 'graphql';
import type { PgClass, PgType } from '../introspection/model';
import { OID } from '../introspection/oids';
import type { FieldPlan, SchemaPlan, TypePlan } from '../schema/plans';
import { sql, type SQL } from './fragment';
import { argumentValues, collectFields, subSelections, type CollectedField, type ExecContext } from './selection';
import { inputExpr, outputExpr, typeRef, type OutputContext } from './values';
import { compileConnection } from './connection';
import { base64Text } from './ordering';

export interface Compiler extends ExecContext {
  lookupType: (id: string) => PgType;
  output: OutputContext;
  /** The names the schema decided (node aliases, enum values, input types). */
  plan: SchemaPlan;
  classById: (id: string) => PgClass;
  alias: () => SQL;
  /** Compiles a root-level (Query) selection; used by `query` fields. */
  rootObject: (sets: readonly SelectionSetNode[]) => SQL;
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

/**
 * The columns a page subquery passes up, and the rows read from it. Only the columns the outer
 * expressions read are selected: a whole row (`t.*`) would need SELECT on every column (a role
 * granted some columns only is refused, where v4 answers) and would carry wide columns nobody
 * asked for through the sort. Call `finish` once the outer expressions are built.
 */
export interface PageProjection {
  /** `t."a", t."b"` (or `t as t` for a scalar function's result) */
  columns: SQL;
  row: (page: SQL) => RowRef;
  finish: () => void;
}

export function pageProjection(alias: SQL, cls: PgClass | null): PageProjection {
  const later = sql.later();
  const used = new Set<string>();
  let whole = false;
  return {
    columns: later.sql,
    row: (page) => ({
      column: (name) => {
        used.add(name);
        return sql`${page}.${sql.ident(name)}`;
      },
      // rebuilt as the table's row type from its columns, for computed columns and cursors
      get whole() {
        whole = true;
        return sql`row(${sql.join(cls!.attributes.map((a) => sql`${page}.${sql.ident(a.name)}`), ', ')})::${sql.ident(cls!.namespaceName, cls!.name)}`;
      },
      cls: cls!,
    }),
    finish: () => {
      // a scalar result is the alias itself (its column is named after an OUT parameter, if any)
      if (!cls) return later.set(sql`${alias} as ${alias}`);
      const names = cls.attributes.filter((a) => whole || used.has(a.name)).map((a) => sql`${alias}.${sql.ident(a.name)}`);
      // a page whose rows are only counted or numbered still needs a column to select
      later.set(names.length ? sql.join(names, ', ') : sql`null as __none`);
    },
  };
}

export function fieldPlan(f: CollectedField): FieldPlan | undefined {
  return f.field?.extensions?.forumDev as FieldPlan | undefined;
}

/**
 * Closes a switch over plan kinds: it compiles only when every kind is handled, so a new kind
 * is a type error here rather than a runtime surprise.
 */
export function unhandled(plan: never): never {
  throw new Error(`No SQL for the plan kind ${JSON.stringify((plan as { kind?: unknown }).kind)}.`);
}

/** The names a schema built by forum-dev recorded for SQL (see schema/build.ts). */
export function schemaPlan(schema: GraphQLSchema): SchemaPlan {
  const plan = schema.extensions.forumDev as SchemaPlan | undefined;
  if (!plan) throw new Error('This GraphQL schema was not built by forum-dev: it records no database names.');
  return plan;
}

/** The first element of a table's node ids, as the schema named it. */
export function nodeAliasOf(c: Compiler, table: PgClass): string {
  const alias = c.plan.aliasByClassId.get(table.id);
  if (alias === undefined) throw new Error(`The table ${table.namespaceName}.${table.name} has no row type in this schema.`);
  return alias;
}

const buildObject = (pairs: Array<[string, SQL]>) =>
  sql`json_build_object(${sql.join(pairs.map(([k, v]) => sql`${sql.literal(k)}, ${v}`), ', ')})`;

/**
 * A JSON object from key/value pairs, keys in order. json_build_object takes at most 100
 * arguments, so larger objects are built in chunks whose texts are joined without their braces.
 */
export function jsonObject(pairs: Array<[string, SQL]>): SQL {
  if (pairs.length <= 50) return buildObject(pairs);
  const chunks: SQL[] = [];
  for (let i = 0; i < pairs.length; i += 50) {
    chunks.push(sql`(select substr(__c.t, 2, length(__c.t) - 2) from (select ${buildObject(pairs.slice(i, i + 50))}::text as t) as __c)`);
  }
  return sql`('{' || ${sql.join(chunks, " || ',' || ")} || '}')::json`;
}


export function nodeIdExpr(c: Compiler, row: RowRef): SQL {
  const pk = row.cls.primaryKey!.keyAttributeNums.map((n) => row.cls.attributes.find((a) => a.num === n)!);
  const parts = pk.map((a) => keyJson(c, row.column(a.name), c.lookupType(a.typeId)));
  const open = sql.literal(`[${JSON.stringify(nodeAliasOf(c, row.cls))}`);
  return base64Text(sql`${open} || ${sql.join(parts.map((p) => sql`',' || ${p}`), ' || ')} || ']'`);
}

/**
 * A key value as JSON text, as a v4 node id holds it: as output, except that enums keep their
 * label, and a bigint is a JSON number while JavaScript holds it exactly, a string beyond (so
 * ids stay the same when a key column grows from int to bigint).
 */
function keyJson(c: Compiler, expr: SQL, type: PgType): SQL {
  let base = type;
  while (base.type === 'd' && base.domainBaseTypeId) base = c.lookupType(base.domainBaseTypeId);
  if (base.id === OID.int8) {
    return sql`(case when ${expr} between -9007199254740991 and 9007199254740991 then (${expr})::text else to_json((${expr})::text)::text end)`;
  }
  return sql`to_json(${base.type === 'e' ? sql`(${expr})::text` : outputExpr(expr, type, c.lookupType, c.output)})::text`;
}

/** The selected fields of a row, each with its value. */
function selectedValues(c: Compiler, row: RowRef, type: GraphQLObjectType, sets: readonly SelectionSetNode[]) {
  return collectFields(c, type, sets).map((f) => ({ f, value: rowField(c, row, type, f) }));
}

export function rowObject(c: Compiler, row: RowRef, type: GraphQLObjectType, sets: readonly SelectionSetNode[]): SQL {
  return jsonObject(selectedValues(c, row, type, sets).map(({ f, value }) => [f.key, value]));
}

/**
 * A row of a table's connection (`nodes`, an edge's `node`), as v4 answers it: a row whose
 * selected fields are all null is a null row (v4 cannot tell it from a function's null row),
 * unless -N makes rows non-null or v4 reads the row's primary key beside it (subscriptions).
 * `__typename` does not count; a non-null field makes the test needless.
 */
export function connectionRowObject(c: Compiler, row: RowRef, type: GraphQLObjectType, sets: readonly SelectionSetNode[], nullable: boolean): SQL {
  const fields = selectedValues(c, row, type, sets);
  const obj = jsonObject(fields.map(({ f, value }) => [f.key, value]));
  const data = fields.filter(({ f }) => f.name !== '__typename');
  if (!nullable || (c.plan.rowIdentifiers && row.cls.primaryKey) || data.some(({ f }) => isNonNullType(f.field!.type))) return obj;
  // nothing selected but `__typename`: v4 reads the whole row then, so it is null only when
  // every column is
  if (!data.length) return sql`(case when ${row.whole} is null then null else ${obj} end)`;
  // A relation or computed column in the test is a second run of its subquery or function for
  // the row: columns are tested first, and the rest only when every column is null (Postgres
  // stops at the first true operand of `or`).
  const columns: typeof data = [];
  const others: typeof data = [];
  for (const d of data) (fieldPlan(d.f)?.kind === 'column' ? columns : others).push(d);
  const nonnulls = (list: typeof data) => sql`num_nonnulls(${sql.join(list.map(({ value }) => value), ', ')})`;
  if (columns.length && others.length) return sql`(case when ${nonnulls(columns)} > 0 or ${nonnulls(others)} > 0 then ${obj} end)`;
  return sql`(case when ${nonnulls(data)} = 0 then null else ${obj} end)`;
}

function rowField(c: Compiler, row: RowRef, type: GraphQLObjectType, f: CollectedField): SQL {
  if (f.name === '__typename') return sql.literal(type.name);
  const p = fieldPlan(f);
  if (!p || !f.field) throw new Error(`Cannot query field "${f.name}" on type "${type.name}".`);
  switch (p.kind) {
    case 'column':
      return valueExpr(c, row.column(p.attr.name), p.type, f, false, true);
    case 'nodeId':
      return nodeIdExpr(c, row);
    case 'forward': {
      const a = c.alias();
      const target = aliasRef(a, p.foreign);
      const where = p.keys.map((k, i) => sql`${a}.${sql.ident(p.foreignKeys[i].name)} = ${row.column(k.name)}`);
      const obj = rowObject(c, target, getNamedType(f.field.type) as GraphQLObjectType, subSelections(f));
      return sql`(select ${obj} from ${sql.ident(p.foreign.namespaceName, p.foreign.name)} as ${a} where ${sql.join(where, ' and ')})`;
    }
    case 'backward': {
      const a = c.alias();
      const where = p.keys.map((k, i) => sql`${a}.${sql.ident(k.name)} = ${row.column(p.foreignKeys[i].name)}`);
      if (p.single) {
        const obj = rowObject(c, aliasRef(a, p.table), getNamedType(f.field.type) as GraphQLObjectType, subSelections(f));
        return sql`(select ${obj} from ${sql.ident(p.table.namespaceName, p.table.name)} as ${a} where ${sql.join(where, ' and ')} limit 1)`;
      }
      return compileConnection(c, {
        source: sql.ident(p.table.namespaceName, p.table.name), alias: a, table: p.table, where,
        natural: false, nodeType: c.lookupType(p.table.typeId),
      }, f);
    }
    case 'proc':
      return procExpr(c, p, f, row);
    case 'queryRoot': case 'queryNodeId': case 'node': case 'rowByNodeId': case 'rowByKeys': case 'allRows':
    case 'mutation': case 'payloadRow': case 'payloadQuery': case 'payloadClientMutationId':
    case 'payloadDeletedNodeId': case 'payloadEdge': case 'payloadForward': case 'payloadResult':
      throw new Error(`Field "${f.name}" cannot be read here.`);
  }
  return unhandled(p);
}

/**
 * When a composite value counts as null, as v4 tells (`rowOfNulls`): a table's row type when
 * every field is null (a function cannot tell `null::t` from a row of nulls), a composite type
 * only when the value itself is null.
 */
function isNullValue(value: SQL, rowOfNulls: boolean): SQL {
  return rowOfNulls ? sql`(${value}) is null` : sql`num_nonnulls(${value}) = 0`;
}

/**
 * A value as JSON for the field `f`. `rowOfNulls`: a composite value (or element) whose fields
 * are all null is null, whatever its type: a mutation's result, as v4 reads it back.
 */
export function valueExpr(c: Compiler, expr: SQL, type: PgType, f: CollectedField, rowOfNulls?: boolean, column = false): SQL {
  const gType = f.field!.type;
  const named = getNamedType(gType);
  const plan = named.extensions.forumDev as TypePlan | undefined;
  const itemType = type.isPgArray && type.arrayItemTypeId ? c.lookupType(type.arrayItemTypeId) : null;
  const classId = type.classId ?? itemType?.classId ?? compositeUnderDomain(type, c.lookupType)?.classId;
  if (named instanceof GraphQLObjectType && (plan?.kind === 'row' || plan?.kind === 'composite') && classId) {
    const cls = c.classById(classId);
    if (isListTypeDeep(gType) && type.isPgArray) {
      // Elements by subscript, not unnest: unnest would spread each composite into columns and
      // lose the difference between a null element and one whose fields are all null.
      const a = c.alias();
      const item = rowObject(c, { column: (n) => sql`(${a}.__e).${sql.ident(n)}`, whole: sql`${a}.__e`, cls }, named, subSelections(f));
      const elements = sql`(select (${expr})[__s] as __e, __s as __o from generate_subscripts(${expr}, 1) as __s) as ${a}`;
      const agg = sql`coalesce(json_agg(case when ${isNullValue(sql`${a}.__e`, rowOfNulls || cls.isSelectable)} then null else ${item} end order by ${a}.__o), '[]'::json)`;
      return sql`(case when (${expr}) is null then null else (select ${agg} from ${elements}) end)`;
    }
    const v = c.alias();
    const obj = rowObject(c, { column: (n) => sql`(${v}.__v).${sql.ident(n)}`, whole: sql`${v}.__v`, cls }, named, subSelections(f));
    return sql`(select case when ${isNullValue(sql`${v}.__v`, rowOfNulls || cls.isSelectable)} then null else ${obj} end from (select ${expr} as __v) as ${v})`;
  }
  // The configured JWT composite becomes a signed token; the signing happens in Node (see json-text.ts).
  if (plan?.kind === 'jwt') {
    const j = c.alias();
    // A function's token carries wide numbers as exact strings; a column's (or a composite's
    // field's) is the value as JSON, numbers as numbers, as v4 signs each.
    const claims = column ? sql`to_json(${j}.__v)` : jwtClaimsExpr(c, sql`${j}.__v`, type);
    return sql`(select case when num_nonnulls(${j}.__v) = 0 then null else json_build_object(${sql.raw("E'\\u0001jwt'")}, ${claims}) end from (select ${expr} as __v) as ${j})`;
  }
  const json = outputExpr(expr, type, c.lookupType, c.output);
  // Intervals, points and ranges are built whole; the response carries only what was selected.
  if (named instanceof GraphQLObjectType) return pickJson(c, json, gType, subSelections(f));
  return json;
}

/**
 * The claims of a JWT composite value, as v4 reads them: bigint, numeric and the other wide
 * numbers as exact strings (never JSON numbers), everything else as to_json gives it.
 */
export function jwtClaimsExpr(c: Compiler, value: SQL, type: PgType): SQL {
  const cls = type.classId ? c.classById(type.classId) : null;
  if (!cls) return sql`to_json(${value})`;
  return sql`json_build_object(${sql.join(cls.attributes.map((a) => sql`${sql.literal(a.name)}::text, ${claimExpr(c, sql`(${value}).${sql.ident(a.name)}`, c.lookupType(a.typeId))}`), ', ')})`;
}

function claimExpr(c: Compiler, expr: SQL, type: PgType): SQL {
  if (type.type === 'd' && type.domainBaseTypeId) return claimExpr(c, expr, c.lookupType(type.domainBaseTypeId));
  if (type.id === '790') return sql`(${expr})::numeric::text`;
  if (type.category === 'N' && type.type === 'b' && !['21', '23', '700', '701'].includes(type.id)) return sql`(${expr})::text`;
  return expr;
}

/** Keeps only the selected keys (recursively, through lists) of a JSON value built in SQL. */
function pickJson(c: Compiler, json: SQL, gType: GraphQLOutputType, sets: readonly SelectionSetNode[]): SQL {
  const t = isNonNullType(gType) ? gType.ofType : gType;
  const v = c.alias();
  if (isListType(t)) {
    const item = pickJson(c, sql`${v}.__e`, t.ofType, sets);
    const elements = sql`json_array_elements(${json}) with ordinality as ${v}(__e, __o)`;
    return sql`(case when json_typeof(${json}) = 'array' then (select coalesce(json_agg(${item} order by ${v}.__o), '[]'::json) from ${elements}) end)`;
  }
  const type = t as GraphQLObjectType;
  const pairs: Array<[string, SQL]> = collectFields(c, type, sets).map((f) => {
    if (f.name === '__typename') return [f.key, sql.literal(type.name)];
    const inner = sql`${v}.__j -> ${sql.literal(f.name)}`;
    return [f.key, getNamedType(f.field!.type) instanceof GraphQLObjectType ? pickJson(c, inner, f.field!.type, subSelections(f)) : inner];
  });
  return sql`(select case when ${v}.__j is null or json_typeof(${v}.__j) = 'null' then null else ${jsonObject(pairs)} end from (select ${json} as __j) as ${v})`;
}

/** The composite type a domain (over a domain…) is made of, if any. */
function compositeUnderDomain(type: PgType, lookup: (id: string) => PgType): PgType | null {
  let t = type;
  while (t.type === 'd' && t.domainBaseTypeId) t = lookup(t.domainBaseTypeId);
  return t !== type && t.classId && !t.isPgArray ? t : null;
}

function isListTypeDeep(t: GraphQLOutputType): boolean {
  return isListType(isNonNullType(t) ? t.ofType : t);
}

/**
 * A GraphQL input value as SQL of the given type: composite values (`PairInput`) become row
 * constructors, field by field in column order; everything else a cast bind parameter.
 */
export function inputValue(c: Compiler, value: unknown, type: PgType): SQL {
  if (value == null) return sql`null::${typeRef(type)}`;
  const composite = compositeUnderDomain(type, c.lookupType);
  if (composite && typeof value === 'object') return sql`(${inputValue(c, value, composite)})::${typeRef(type)}`;
  if (type.classId && !type.isPgArray && typeof value === 'object') {
    const cls = c.classById(type.classId);
    const fieldOf = inputFieldNames(c, cls);
    const v = value as Record<string, unknown>;
    const items = cls.attributes.map((a) => {
      const field = fieldOf.get(a.name);
      return inputValue(c, field === undefined ? null : v[field], c.lookupType(a.typeId));
    });
    return sql`row(${sql.join(items, ', ')})::${typeRef(type)}`;
  }
  if (type.isPgArray && type.arrayItemTypeId && Array.isArray(value)) {
    const item = c.lookupType(type.arrayItemTypeId);
    if (item.classId) return sql`array[${sql.join(value.map((x) => inputValue(c, x, item)), ', ')}]::${typeRef(type)}`;
  }
  return inputExpr(value, type, c.lookupType);
}

/** Column name → the field of the class's input object type that carries it. */
function inputFieldNames(c: Compiler, cls: PgClass): Map<string, string> {
  const fields = c.plan.inputFieldsByClassId.get(cls.id);
  if (!fields) throw new Error(`The type ${cls.namespaceName}.${cls.name} has no input type in this schema.`);
  return fields;
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
    const valueSql = inputValue(c, value ?? null, a.type);
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
    const rows = p.table ?? p.record ?? (p.returnType.classId ? c.classById(p.returnType.classId) : null);
    return compileConnection(c, {
      source: call, alias: a, table: rows, where: [], natural: true, nodeType: p.returnType,
    }, f);
  }
  // Rows (a table's, a composite's, OUT parameters') come from the function in FROM, where
  // Postgres can inline a SQL function into the query instead of calling it per row.
  const rows = p.record ?? p.table ?? (p.returnType.classId && !p.returnType.isPgArray ? c.classById(p.returnType.classId) : null);
  // (a jwt_token composite is a JwtToken scalar, not an object: it goes to valueExpr below)
  if (rows && getNamedType(f.field!.type) instanceof GraphQLObjectType) {
    const a = c.alias();
    // a row whose every value is null is no row (v4 answers null)
    const obj = rowObject(c, aliasRef(a, rows), getNamedType(f.field!.type) as GraphQLObjectType, subSelections(f));
    return sql`(select ${obj} from ${call} as ${a} where not (${a} is null))`;
  }
  return valueExpr(c, call, p.returnType, f);
}

export { typeRef };
