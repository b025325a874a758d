// Connections in SQL with v4's paging semantics: cursors are base64 JSON of the order values plus
// the primary key (`["headline_asc",["Hello",1]]`), or `["natural", n]` for function results and
// tables without a primary key. One page query fetches one row more than asked, which answers
// hasNextPage/hasPreviousPage without a second scan.
import { GraphQLObjectType, getNamedType } from 'graphql';
import type { PgAttribute, PgClass, PgProc, PgType } from '../introspection/model';
import type { OrderByValue } from '../schema/plans';
import { sql, type SQL } from './fragment';
import {
  aliasRef, pageRowRef, base64Json, jsonObject, rowObject, valueExpr, type Compiler,
} from './rows';
import { argumentValues, collectFields, subSelections, type CollectedField } from './selection';
import { inputExpr } from './values';

export interface ConnectionSource {
  source: SQL;
  alias: SQL;
  table: PgClass | null;
  where: SQL[];
  /** Function results: ordered as the function returns them. */
  natural: boolean;
  nodeType: PgType;
}

export class CursorError extends Error {}

function decodeCursor(cursor: string): unknown[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
    if (Array.isArray(v)) return v;
  } catch { /* fall through */ }
  throw new CursorError('Invalid cursor: it was not issued by this API.');
}

/** One sort key: a column, or a computed column (`@sortable` function) called with the row. */
interface OrderSpec { attr?: PgAttribute; proc?: PgProc; ascending: boolean }

function specExpr(a: SQL, s: OrderSpec): SQL {
  return s.attr ? sql`${a}.${sql.ident(s.attr.name)}` : sql`${sql.ident(s.proc!.namespaceName, s.proc!.name)}(${a})`;
}

function specTypeId(s: OrderSpec): string {
  return s.attr ? s.attr.typeId : s.proc!.returnTypeId;
}

export function compileConnection(c: Compiler, src: ConnectionSource, f: CollectedField): SQL {
  const args = argumentValues(c, f);
  const { first, last, offset, before, after, orderBy, condition } = args as {
    first?: number | null; last?: number | null; offset?: number | null; before?: string | null;
    after?: string | null; orderBy?: OrderByValue[] | null; condition?: Record<string, unknown> | null;
  };
  for (const [name, v] of [['first', first], ['last', last], ['offset', offset]] as const) {
    if (v != null && v < 0) throw new CursorError(`\`${name}\` must be a non-negative integer.`);
  }
  if (first != null && last != null) throw new CursorError('Please provide only one of `first` or `last`, not both.');
  if (last != null && offset != null && offset > 0) throw new CursorError('Combining `offset` with `last` is not supported.');

  const a = src.alias;
  const row = src.table ? aliasRef(a, src.table) : null;
  const where: SQL[] = [...src.where];
  if (condition && src.table) {
    for (const [field, value] of Object.entries(condition)) {
      if (value === undefined) continue;
      const plan = conditionField(f, field);
      if (!plan) continue;
      const lhs = specExpr(a, { attr: plan.attr, proc: plan.proc, ascending: true });
      where.push(value === null ? sql`${lhs} is null` : sql`${lhs} = ${inputExpr(value, plan.type, c.lookupType)}`);
    }
  }

  // Order: explicit orderBy values, then the primary key for uniqueness (v4 does the same).
  const orders = (orderBy ?? []).filter(Boolean);
  const pkSpecs: OrderSpec[] = src.table?.primaryKey
    ? src.table.primaryKey.keyAttributeNums.map((n) => ({ attr: src.table!.attributes.find((x) => x.num === n)!, ascending: true }))
    : [];
  let specs: OrderSpec[] = orders.flatMap((o) => o.specs.map((s) => ({ attr: s.attr, proc: s.proc, ascending: s.ascending })));
  let cursorPrefix = orders.filter((o) => o.specs.length > 0).map((o) => o.cursorName);
  const unique = orders.some((o) => o.unique);
  let natural = src.natural && specs.length === 0;
  if (!natural && !unique) {
    if (pkSpecs.length) {
      if (specs.length === 0) cursorPrefix = ['primary_key_asc'];
      specs = [...specs, ...pkSpecs];
    } else natural = true;
  }
  if (natural) { specs = []; cursorPrefix = ['natural']; }

  const whereSql = where.length ? sql`where ${sql.join(where, ' and ')}` : sql``;
  const totalFrom = sql`from ${src.source} as ${a} ${whereSql}`;

  const selected = collectFields(c, getNamedType(f.field!.type) as GraphQLObjectType, subSelections(f));
  const needsRows = selected.some((s) => s.name !== 'totalCount' && s.name !== '__typename');
  const connType = getNamedType(f.field!.type) as GraphQLObjectType;

  const limit = first ?? last ?? null;
  const reverse = last != null;
  const page = c.alias();
  const orderSql = (rev: boolean, alias: SQL) => sql.join(specs.map((s) => {
    const asc = rev ? !s.ascending : s.ascending;
    return sql`${specExpr(alias, s)} ${sql.raw(asc ? 'asc' : 'desc')}`;
  }), ', ');

  let pageSql: SQL;
  let cursorExpr: SQL;
  let hasNext: SQL = sql`false`;
  let hasPrev: SQL = sql`false`;
  const zero = limit === 0;
  if (natural) {
    const afterN = after ? naturalIndex(decodeCursor(after)) : 0;
    const beforeN = before ? naturalIndex(decodeCursor(before)) : null;
    const idx = src.natural ? sql`${a}.ordinality` : sql`row_number() over ()`;
    const inner = sql`select ${a}.*, ${idx} as __idx from ${src.source} ${src.natural ? sql`with ordinality` : sql``} as ${a} ${whereSql}`;
    const bounds = [sql`__w.__idx > ${afterN}::int8`];
    if (beforeN != null) bounds.push(sql`__w.__idx < ${beforeN}::int8`);
    pageSql = sql`select __w.*, row_number() over (order by __w.__idx ${sql.raw(reverse ? 'desc' : 'asc')}) - ${offset ?? 0}::int8 as __n from (${inner}) as __w where ${sql.join(bounds, ' and ')} order by __w.__idx ${sql.raw(reverse ? 'desc' : 'asc')} limit ${limit == null ? null : limit + 1}::int8 offset ${offset ?? 0}::int8`;
    cursorExpr = base64Json(sql`'["natural",' || ${page}.__idx::text || ']'`);
    if (!zero) {
      if (first != null) hasNext = sql`count(*) filter (where true) > ${first}::int8`;
      else if (reverse || beforeN == null) hasNext = sql`false`;
      else hasNext = sql`exists(select 1 from (${inner}) as __x where __x.__idx >= ${beforeN}::int8)`;
      if (last != null) hasPrev = sql`count(*) > ${last}::int8`;
      else hasPrev = sql`${afterN + (offset ?? 0) > 0}::boolean`;
    }
  } else {
    const bound = (cursor: string, isAfter: boolean) => {
      const decoded = decodeCursor(cursor);
      const values = decoded[decoded.length - 1];
      const prefix = decoded.slice(0, -1);
      if (!Array.isArray(values) || values.length !== specs.length || JSON.stringify(prefix) !== JSON.stringify(cursorPrefix)) {
        throw new CursorError('Invalid cursor: it does not belong to this ordering of this collection.');
      }
      return cursorCondition(c, a, specs, values, isAfter);
    };
    const pageWhere = [...where];
    if (after) pageWhere.push(bound(after, true));
    if (before) pageWhere.push(bound(before, false));
    const pw = pageWhere.length ? sql`where ${sql.join(pageWhere, ' and ')}` : sql``;
    // sort key values ride along only when a cursor is asked for
    const keys = wantsCursor(c, selected) ? specs.map((sp, i) => sql`, ${specExpr(a, sp)} as ${sql.raw(`__o${i}`)}`) : [];
    pageSql = sql`select ${a}.*${sql.join(keys, '')}, row_number() over (order by ${orderSql(reverse, a)}) - ${offset ?? 0}::int8 as __n from ${src.source} as ${a} ${pw} order by ${orderSql(reverse, a)} limit ${limit == null ? null : limit + 1}::int8 offset ${offset ?? 0}::int8`;
    const parts = specs.map((_, i) => sql`coalesce(to_json(${page}.${sql.raw(`__o${i}`)})::text, 'null')`);
    cursorExpr = base64Json(sql`${sql.literal(JSON.stringify(cursorPrefix).slice(0, -1) + ',[')} || ${sql.join(parts, " || ',' || ")} || ']]'`);
    if (!zero) {
      if (first != null) hasNext = sql`count(*) > ${first}::int8`;
      else if (before && !reverse) hasNext = sql`exists(select 1 from ${src.source} as ${a} where ${sql.join([...where, sql`not (${bound(before, false)})`], ' and ')})`;
      else if (before && reverse) hasNext = sql`exists(select 1 from ${src.source} as ${a} where ${sql.join([...where, sql`not (${bound(before, false)})`], ' and ')})`;
      if ((offset ?? 0) > 0) hasPrev = sql`true`;
      else if (last != null) hasPrev = sql`count(*) > ${last}::int8`;
      else if (after) hasPrev = sql`exists(select 1 from ${src.source} as ${a} where ${sql.join([...where, sql`not (${bound(after, true)})`], ' and ')})`;
    }
  }

  // Window functions count before OFFSET applies, so __n was shifted back by the offset above.
  const inPage = limit == null ? sql`true` : sql`${page}.__n <= ${limit}::int8`;
  const outOrder = sql`${page}.__n ${sql.raw(reverse ? 'desc' : 'asc')}`;
  const nodeJson = (sets: readonly import('graphql').SelectionSetNode[], nf: CollectedField) => row
    ? rowObject(c, pageRowRef(page, src.table!), getNamedType(nf.field!.type) as GraphQLObjectType, sets)
    : valueExpr(c, scalarColumn(page, src), src.nodeType, nf);
  const pairs: Array<[string, SQL]> = [];
  for (const s of selected) {
    if (s.name === '__typename') pairs.push([s.key, sql.literal(connType.name)]);
    else if (s.name === 'totalCount') pairs.push([s.key, sql`(select count(*) ${totalFrom})::int`]);
    else if (s.name === 'nodes') {
      pairs.push([s.key, sql`coalesce(json_agg(${nodeJson(subSelections(s), s)} order by ${outOrder}) filter (where ${inPage}), '[]'::json)`]);
    } else if (s.name === 'edges') {
      const edgeType = getNamedType(s.field!.type) as GraphQLObjectType;
      const edgePairs: Array<[string, SQL]> = [];
      for (const e of collectFields(c, edgeType, subSelections(s))) {
        if (e.name === '__typename') edgePairs.push([e.key, sql.literal(edgeType.name)]);
        else if (e.name === 'cursor') edgePairs.push([e.key, cursorExpr]);
        else if (e.name === 'node') edgePairs.push([e.key, nodeJson(subSelections(e), e)]);
      }
      pairs.push([s.key, sql`coalesce(json_agg(${jsonObject(edgePairs)} order by ${outOrder}) filter (where ${inPage}), '[]'::json)`]);
    } else if (s.name === 'pageInfo') {
      const piType = getNamedType(s.field!.type) as GraphQLObjectType;
      const piPairs: Array<[string, SQL]> = [];
      for (const p of collectFields(c, piType, subSelections(s))) {
        if (p.name === '__typename') piPairs.push([p.key, sql.literal('PageInfo')]);
        else if (p.name === 'hasNextPage') piPairs.push([p.key, hasNext]);
        else if (p.name === 'hasPreviousPage') piPairs.push([p.key, hasPrev]);
        else if (p.name === 'startCursor') piPairs.push([p.key, sql`(array_agg(${cursorExpr} order by ${outOrder}) filter (where ${inPage}))[1]`]);
        else if (p.name === 'endCursor') piPairs.push([p.key, sql`(array_agg(${cursorExpr} order by ${page}.__n ${sql.raw(reverse ? 'asc' : 'desc')}) filter (where ${inPage}))[1]`]);
      }
      pairs.push([s.key, jsonObject(piPairs)]);
    }
  }
  if (!needsRows) return jsonObject(pairs);
  return sql`(select ${jsonObject(pairs)} from (${pageSql}) as ${page})`;
}

function wantsCursor(c: Compiler, selected: CollectedField[]): boolean {
  return selected.some((s) => {
    if (s.name !== 'edges' && s.name !== 'pageInfo') return false;
    const type = getNamedType(s.field!.type) as GraphQLObjectType;
    return collectFields(c, type, subSelections(s)).some((x) => x.name === 'cursor' || x.name === 'startCursor' || x.name === 'endCursor');
  });
}

function scalarColumn(page: SQL, src: ConnectionSource): SQL {
  // `f() with ordinality as a` names the value column after the alias itself.
  const aliasText = src.alias.chunks[0] as string;
  return sql`${page}.${sql.raw(aliasText)}`;
}

function naturalIndex(decoded: unknown[]): number {
  if (decoded[0] !== 'natural' || typeof decoded[1] !== 'number' || !Number.isInteger(decoded[1])) {
    throw new CursorError('Invalid cursor: it does not belong to this collection.');
  }
  return decoded[1];
}

function conditionField(f: CollectedField, name: string): { attr?: PgAttribute; proc?: PgProc; type: PgType } | undefined {
  const arg = f.field!.args.find((x) => x.name === 'condition');
  const input = arg && (getNamedType(arg.type) as import('graphql').GraphQLInputObjectType);
  return input?.getFields()[name]?.extensions?.forumDev as { attr?: PgAttribute; proc?: PgProc; type: PgType } | undefined;
}

/** Rows strictly after (or before) the cursor position in the given order, nulls as Postgres sorts them. */
function cursorCondition(c: Compiler, a: SQL, specs: OrderSpec[], values: unknown[], isAfter: boolean): SQL {
  const ors: SQL[] = [];
  for (let i = 0; i < specs.length; i++) {
    const eqs = specs.slice(0, i).map((s, j) => {
      const col = specExpr(a, s);
      return values[j] === null ? sql`${col} is null` : sql`${col} = ${inputExpr(values[j], c.lookupType(specTypeId(s)), c.lookupType)}`;
    });
    const s = specs[i];
    const col = specExpr(a, s);
    const v = values[i];
    // ascending sorts nulls last, descending nulls first
    const forward = isAfter === s.ascending;
    let cmp: SQL;
    if (v === null) cmp = forward ? sql`false` : sql`${col} is not null`;
    else {
      const val = inputExpr(v, c.lookupType(specTypeId(s)), c.lookupType);
      cmp = forward ? sql`(${col} > ${val} or ${col} is null)` : sql`${col} < ${val}`;
    }
    ors.push(eqs.length ? sql`(${sql.join(eqs, ' and ')} and ${cmp})` : cmp);
  }
  return sql`(${sql.join(ors, ' or ')})`;
}
