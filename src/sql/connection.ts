// Connections and simple lists in SQL, with v4's paging semantics (see ordering.ts for cursors).
// One page query fetches one row more than asked, which answers hasNextPage/hasPreviousPage
// without a second scan; nodes, edges and pageInfo are aggregates over that page.
import { GraphQLObjectType, getNamedType, getNullableType, isListType, isNonNullType, type SelectionSetNode } from 'graphql';
import { OID } from '../introspection/oids';
import type { PgAttribute, PgClass, PgProc, PgType } from '../introspection/model';
import type { OrderByValue } from '../schema/plans';
import { sql, type SQL } from './fragment';
import { filterCondition } from './filter';
import { naturalPage } from './natural-page';
import {
  CursorError, INVALID_CURSOR, cursorCondition, cursorPosition, cursorValues, dirSql, keyedCursorExpr, orderSql,
  positionalCursorExpr, resolveOrdering, specExpr, type Ordering,
} from './ordering';
import { connectionRowObject, inputValue, jsonObject, pageProjection, rowObject, valueExpr, type Compiler } from './rows';
import { argumentValues, collectFields, subSelections, type CollectedField } from './selection';

export { CursorError };

export interface ConnectionSource {
  source: SQL;
  alias: SQL;
  /** the table or composite each row is; null for scalar function results */
  table: PgClass | null;
  where: SQL[];
  /** function results: positioned as the function returns them */
  natural: boolean;
  nodeType: PgType;
  /** a root collection: a view's `@uniqueKey` column orders it and makes its cursors */
  viewUniqueKey?: boolean;
}

/** A source as the page builders read it: with the columns its page passes up. */
export interface PageSource extends ConnectionSource {
  columns: SQL;
}

export interface PagingArgs {
  first: number | null;
  last: number | null;
  offset: number;
  before: string | null;
  after: string | null;
  orderBy: OrderByValue[];
  condition: Record<string, unknown> | null;
  /** Fetch one row past the page: only `hasNextPage`/`hasPreviousPage` need it. */
  peek: boolean;
}

export interface Page {
  sql: SQL;
  alias: SQL;
  cursor: SQL;
  hasNext: SQL;
  hasPrev: SQL;
  limit: number | null;
  reverse: boolean;
  /**
   * The page's rows in the order they are answered (`forward`) or the other way, for ordered
   * aggregates; by the row number `__n` when absent.
   */
  order?: (forward: boolean) => SQL;
  /** The column holding a row's number in the page (from 1), when not `__n`. */
  number?: string;
}

function pagingArgs(c: Compiler, f: CollectedField): PagingArgs {
  const a = argumentValues(c, f) as Partial<PagingArgs>;
  for (const name of ['first', 'last', 'offset'] as const) {
    const v = a[name];
    if (v != null && v < 0) throw new CursorError(`\`${name}\` must be a non-negative integer.`);
  }
  if (a.first != null && a.last != null) throw new CursorError('Please provide only one of `first` or `last`, not both.');
  if (a.last != null && a.offset) throw new CursorError('Combining `offset` with `last` is not supported.');
  // an empty cursor is not a cursor (v4 refuses it rather than ignoring it)
  if (a.after === '' || a.before === '') throw new CursorError(INVALID_CURSOR);
  return {
    first: a.first ?? null, last: a.last ?? null, offset: a.offset ?? 0, before: a.before ?? null,
    after: a.after ?? null, orderBy: (a.orderBy ?? []).filter(Boolean), condition: a.condition ?? null, peek: true,
  };
}

function conditionSql(c: Compiler, src: ConnectionSource, f: CollectedField, condition: Record<string, unknown> | null): SQL[] {
  if (!condition || !src.table) return [];
  const arg = f.field!.args.find((x) => x.name === 'condition');
  const fields = arg ? (getNamedType(arg.type) as import('graphql').GraphQLInputObjectType).getFields() : {};
  const out: SQL[] = [];
  for (const [name, value] of Object.entries(condition)) {
    const meta = fields[name]?.extensions?.forumDev as { attr?: PgAttribute; proc?: PgProc; type: PgType } | undefined;
    if (value === undefined || !meta) continue;
    const lhs = specExpr(src.alias, { attr: meta.attr, proc: meta.proc, ascending: true });
    // inputValue: composite values (and domains over them) become row constructors
    out.push(value === null ? sql`${lhs} is null` : sql`${lhs} = ${inputValue(c, value, meta.type)}`);
  }
  return out;
}

/** 1 when the page fetches the row past it (to tell whether there is one), else 0. */
const extraRow = (args: PagingArgs) => (args.peek ? 1 : 0);

const whereClause = (conds: SQL[]) => (conds.length ? sql`where ${sql.join(conds, ' and ')}` : sql``);

/** Keyed paging: cursors hold sort values, pages are WHERE conditions on them. */
function keyedPage(c: Compiler, src: PageSource, where: SQL[], ordering: Ordering, args: PagingArgs): Page {
  const a = src.alias;
  const page = c.alias();
  const bound = (cursor: string, isAfter: boolean) => cursorCondition(c, a, ordering.specs, cursorValues(ordering, cursor), isAfter);
  const pageWhere = [...where];
  if (args.after) pageWhere.push(bound(args.after, true));
  if (args.before) pageWhere.push(bound(args.before, false));
  const reverse = args.last != null;
  const limit = args.first ?? args.last;
  const order = orderSql(ordering.specs, a, reverse);
  // The sort values ride along (for cursors and to number the page). The page is numbered
  // outside the `limit`: a window function over the sorted set would make Postgres sort every
  // row instead of keeping only the top `limit` rows, as `order by ... limit n` alone does.
  const keys = ordering.specs.map((s, i) => sql`, ${specExpr(a, s)} as ${sql.raw(`__o${i}`)}`);
  const k = c.alias();
  const pageOrder = sql.join(ordering.specs.map((s, i) => sql`${k}.${sql.raw(`__o${i}`)} ${dirSql(s, reverse)}`), ', ');
  const slice = sql`${limit == null ? sql`` : sql`limit ${sql.int(limit + extraRow(args))} `}${sql.offset(args.offset)}`;
  const sorted = sql`select ${src.columns}${sql.join(keys, '')} from ${src.source} as ${a} ${whereClause(pageWhere)} order by ${order} ${slice}`;
  // Numbered only to leave out the row fetched past the page; otherwise the aggregates order the
  // page by its sort values, as a hand-written statement would, with no window over it.
  const numbered = args.peek && limit != null;
  const text = numbered ? sql`select ${k}.*, row_number() over (order by ${pageOrder}) as __n from (${sorted}) as ${k}` : sorted;
  const byKeys = (forward: boolean) => sql.join(ordering.specs.map((s, i) => sql`${page}.${sql.raw(`__o${i}`)} ${dirSql(s, !forward)}`), ', ');
  const cursor = keyedCursorExpr(ordering.prefix, ordering.specs.map((_, i) => sql`${page}.${sql.raw(`__o${i}`)}`));
  const outside = (cursor: string, isAfter: boolean) =>
    sql`exists(select 1 from ${src.source} as ${a} where ${sql.join([...where, sql`not (${bound(cursor, isAfter)})`], ' and ')})`;
  let hasNext: SQL = sql`false`;
  let hasPrev: SQL = sql`false`;
  if (limit !== 0) {
    if (args.first != null) hasNext = sql`count(*) > ${sql.int(args.first)}`;
    else if (args.before) hasNext = outside(args.before, false);
    if (args.offset > 0) hasPrev = sql`true`;
    else if (args.last != null) hasPrev = sql`count(*) > ${sql.int(args.last)}`;
    else if (args.after) hasPrev = outside(args.after, true);
  }
  return numbered
    ? { sql: text, alias: page, cursor, hasNext, hasPrev, limit, reverse }
    : { sql: text, alias: page, cursor, hasNext, hasPrev, limit: null, reverse, order: byKeys };
}

/** Positional paging: rows are numbered in their order and cursors hold those numbers. */
function positionalPage(c: Compiler, src: PageSource, where: SQL[], ordering: Ordering, args: PagingArgs): Page {
  if (args.last != null && ordering.specs.length === 0) throw new CursorError('Cannot do last of an unordered set');
  const afterN = args.after ? cursorPosition(ordering, args.after) : 0;
  const beforeN = args.before ? cursorPosition(ordering, args.before) : null;
  const numbered = ordering.specs.length ? sortedRows(src, where, ordering) : naturalRows(src, where);
  return ordering.specs.length
    ? sortedPage(c, numbered, ordering, args, afterN, beforeN)
    : rangePage(c, numbered, ordering, args, afterN, beforeN);
}

/**
 * Rows in their own order (a function's, or a table's without a key), numbered after the
 * conditions as v4 numbers them. Not `with ordinality`: that stops Postgres inlining a SQL
 * function, so a page would run the function over every row instead of stopping early.
 */
function naturalRows(src: PageSource, where: SQL[]): SQL {
  return sql`select ${src.columns}, row_number() over () as __idx from ${src.source} as ${src.alias} ${whereClause(where)}`;
}

/** Rows of a source without a unique order (never a function's: natural-page.ts sorts those). */
function sortedRows(src: PageSource, where: SQL[], ordering: Ordering): SQL {
  const a = src.alias;
  const position = sql`row_number() over (order by ${orderSql(ordering.specs, a, false)}) as __idx`;
  return sql`select ${src.columns}, ${position} from ${src.source} as ${a} ${whereClause(where)}`;
}

/**
 * A page of naturally numbered rows, found by their numbers alone: the numbers are consecutive,
 * so the page is a range of them; sorting by them would read every row, whereas the `limit` lets
 * the scan stop once the range has been passed.
 */
function rangePage(c: Compiler, numbered: SQL, ordering: Ordering, args: PagingArgs, afterN: number, beforeN: number | null): Page {
  const page = c.alias();
  const start = afterN + args.offset;
  const limit = args.first;
  let hasNext: SQL = sql`false`;
  if (limit !== 0) {
    if (limit != null) hasNext = sql`count(*) > ${sql.int(limit)}`;
    else if (beforeN != null) hasNext = sql`exists(select 1 from (${numbered}) as __x where __x.__idx >= ${beforeN})`;
  }
  const cursor = positionalCursorExpr(ordering.prefix, sql`${page}.__idx`);
  if (start === 0 && beforeN == null) {
    // The first page: its rows' numbers are already their places in it, and the limit is its
    // only bound, so the numbered rows are the page as they are (no select around them).
    const text = limit == null ? numbered : sql`${numbered} limit ${sql.int(limit + extraRow(args))}`;
    return { sql: text, alias: page, cursor, hasNext, hasPrev: sql`false`, limit, reverse: false, number: '__idx' };
  }
  const bounds = [sql`__w.__idx > ${start}`];
  if (limit != null) bounds.push(sql`__w.__idx <= ${start} + ${sql.int(limit + extraRow(args))}`);
  if (beforeN != null) bounds.push(sql`__w.__idx < ${beforeN}`);
  const slice = limit == null ? sql`` : sql` limit ${sql.int(limit + extraRow(args))}`;
  const text = sql`select __w.*, __w.__idx - ${start} as __n from (${numbered}) as __w where ${sql.join(bounds, ' and ')}${slice}`;
  const hasPrev = limit === 0 ? sql`false` : sql`${start > 0}::boolean`;
  return { sql: text, alias: page, cursor, hasNext, hasPrev, limit, reverse: false };
}

function sortedPage(c: Compiler, numbered: SQL, ordering: Ordering, args: PagingArgs, afterN: number, beforeN: number | null): Page {
  const page = c.alias();
  const reverse = args.last != null;
  const limit = args.first ?? args.last;
  const dir = sql.raw(reverse ? 'desc' : 'asc');
  const bounds = [sql`__w.__idx > ${afterN}`];
  if (beforeN != null) bounds.push(sql`__w.__idx < ${beforeN}`);
  const position = sql`row_number() over (order by __w.__idx ${dir}) - ${args.offset} as __n`;
  const slice = sql`${limit == null ? sql`` : sql`limit ${sql.int(limit + extraRow(args))} `}${sql.offset(args.offset)}`;
  const text = sql`select __w.*, ${position} from (${numbered}) as __w where ${sql.join(bounds, ' and ')} order by __w.__idx ${dir} ${slice}`;
  let hasNext: SQL = sql`false`;
  let hasPrev: SQL = sql`false`;
  if (limit !== 0) {
    if (args.first != null) hasNext = sql`count(*) > ${sql.int(args.first)}`;
    else if (!reverse && beforeN != null) {
      hasNext = sql`exists(select 1 from (${numbered}) as __x where __x.__idx >= ${beforeN})`;
    }
    if (args.last != null) hasPrev = sql`count(*) > ${sql.int(args.last)}`;
    else hasPrev = sql`${afterN + args.offset > 0}::boolean`;
  }
  return { sql: text, alias: page, cursor: positionalCursorExpr(ordering.prefix, sql`${page}.__idx`), hasNext, hasPrev, limit, reverse };
}

/** A list field (`nodes`, a simple collection) as the field of one of its elements. */
function elementField(f: CollectedField): CollectedField {
  const t = getNullableType(f.field!.type);
  return isListType(t) ? { ...f, field: { ...f.field!, type: t.ofType } } : f;
}

export function compileConnection(c: Compiler, source: ConnectionSource, f: CollectedField): SQL {
  const projection = pageProjection(source.alias, source.table);
  const src: PageSource = { ...source, columns: projection.columns };
  const args = pagingArgs(c, f);
  const filter = filterCondition(c, f, argumentValues(c, f), src.alias);
  const where = [...src.where, ...conditionSql(c, src, f, args.condition), ...(filter ? [filter] : [])];
  const ordering = resolveOrdering(src.table?.classKind === 'c' ? null : src.table, args.orderBy, src.natural, !!src.viewUniqueKey);
  const list = isListType(getNullableType(f.field!.type));
  const selected = list ? [] : collectFields(c, getNamedType(f.field!.type) as GraphQLObjectType, subSelections(f));
  args.peek = selected.some((s) => s.name === 'pageInfo'
    && collectFields(c, getNamedType(s.field!.type) as GraphQLObjectType, subSelections(s)).some((x) => x.name === 'hasNextPage' || x.name === 'hasPreviousPage'));
  const page = ordering.mode === 'keyed'
    ? keyedPage(c, src, where, ordering, args)
    // Function results read forwards in their own order take the range of row numbers, which
    // lets an inlined SQL function stop after the page; sorted or backwards reads page as v4
    // pages them (natural-page.ts).
    : src.natural && (ordering.specs.length > 0 || args.last != null)
      ? naturalPage(c, src, where, ordering, args)
      : positionalPage(c, src, where, ordering, args);
  const p = page.alias;
  const number = sql.raw(page.number ?? '__n');
  const inPage = page.limit == null ? sql`true` : sql`${p}.${number} <= ${sql.int(page.limit)}`;
  const order = page.order ?? ((forward: boolean) => sql`${p}.${number} ${sql.raw(page.reverse === forward ? 'desc' : 'asc')}`);
  const outOrder = order(true);
  // rows of a table's (or composite's) connection can be null rows; lists' and records' cannot
  const nullRows = !list && src.table !== null && src.table.typeId !== OID.record;
  const nodeJson = (nf: CollectedField, sets: readonly SelectionSetNode[]) => src.table
    ? nullRows
      ? connectionRowObject(c, projection.row(p), getNamedType(nf.field!.type) as GraphQLObjectType, sets, !isNonNullType(elementField(nf).field!.type))
      : rowObject(c, projection.row(p), getNamedType(nf.field!.type) as GraphQLObjectType, sets)
    // `f() as a` names a scalar result's column after the alias itself
    : valueExpr(c, sql`${p}.${src.alias}`, src.nodeType, elementField(nf));
  const agg = (item: SQL) => sql`coalesce(json_agg(${item} order by ${outOrder}) filter (where ${inPage}), '[]'::json)`;

  if (list) {
    const items = agg(nodeJson(f, subSelections(f)));
    projection.finish();
    return sql`(select ${items} from (${page.sql}) as ${p})`;
  }

  const connType = getNamedType(f.field!.type) as GraphQLObjectType;
  const pairs: Array<[string, SQL]> = [];
  for (const s of selected) {
    if (s.name === '__typename') pairs.push([s.key, sql.literal(connType.name)]);
    else if (s.name === 'totalCount') pairs.push([s.key, sql`(select count(*) from ${src.source} as ${src.alias} ${whereClause(where)})::int`]);
    else if (s.name === 'nodes') pairs.push([s.key, agg(nodeJson(s, subSelections(s)))]);
    else if (s.name === 'edges') {
      const edgeType = getNamedType(s.field!.type) as GraphQLObjectType;
      const edge: Array<[string, SQL]> = [];
      for (const e of collectFields(c, edgeType, subSelections(s))) {
        if (e.name === '__typename') edge.push([e.key, sql.literal(edgeType.name)]);
        else if (e.name === 'cursor') edge.push([e.key, page.cursor]);
        else if (e.name === 'node') edge.push([e.key, nodeJson(e, subSelections(e))]);
      }
      pairs.push([s.key, agg(jsonObject(edge))]);
    } else if (s.name === 'pageInfo') {
      const info: Array<[string, SQL]> = [];
      for (const x of collectFields(c, getNamedType(s.field!.type) as GraphQLObjectType, subSelections(s))) {
        if (x.name === '__typename') info.push([x.key, sql.literal('PageInfo')]);
        else if (x.name === 'hasNextPage') info.push([x.key, page.hasNext]);
        else if (x.name === 'hasPreviousPage') info.push([x.key, page.hasPrev]);
        else if (x.name === 'startCursor') info.push([x.key, sql`(array_agg(${page.cursor} order by ${outOrder}) filter (where ${inPage}))[1]`]);
        else if (x.name === 'endCursor') {
          info.push([x.key, sql`(array_agg(${page.cursor} order by ${order(false)}) filter (where ${inPage}))[1]`]);
        }
      }
      pairs.push([s.key, jsonObject(info)]);
    }
  }
  projection.finish();
  const needsRows = selected.some((s) => s.name !== 'totalCount' && s.name !== '__typename');
  if (!needsRows) return jsonObject(pairs);
  return sql`(select ${jsonObject(pairs)} from (${page.sql}) as ${p})`;
}
