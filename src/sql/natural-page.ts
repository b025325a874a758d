// Pages of a function's result set that no unique order identifies (v4's "natural" paging).
// v4 numbers each row by its place among the rows the function returned that pass `condition`
// (in the function's own order, whatever orderBy sorts them by), and turns `after`/`before`/
// `first`/`last` into one LIMIT/OFFSET: `after` n skips n rows, `before` m keeps the rows before
// the m-th, and `last` takes the tail of that window (or of a sorted set, read backwards).
import { sql, type SQL } from './fragment';
import { CursorError, cursorPosition, dirSql, positionalCursorExpr, specExpr, type Ordering } from './ordering';
import type { Compiler } from './rows';
import type { Page, PageSource, PagingArgs } from './connection';

interface Window { limit: number | null; offset: number; flip: boolean }

/** The LIMIT/OFFSET v4 arrives at for these arguments, with its refusals. */
function pageWindow(ordering: Ordering, args: PagingArgs): Window {
  const sorted = ordering.specs.length > 0;
  if (sorted && (args.after || args.before)) {
    throw new CursorError('The order supplied is not unique, so before/after cursors cannot be used. ' +
      'Please ensure the supplied order includes all the columns from the primary key or a unique constraint.');
  }
  let offset = args.offset + (args.after ? cursorPosition(ordering, args.after) : 0);
  let limit: number | null = args.before ? Math.max(0, cursorPosition(ordering, args.before) - offset - 1) : null;
  if (args.first != null) limit = limit == null ? args.first : Math.min(limit, args.first);
  let flip = false;
  if (args.last != null) {
    if (limit != null) {
      if (offset > 0) throw new CursorError('Combining `after` and `before` with `last` is not supported on this set; use `first`.');
      if (args.last < limit) {
        offset = limit - args.last;
        limit = args.last;
      }
    } else if (offset > 0) {
      throw new CursorError("Cannot combine 'last' and 'offset'");
    } else if (sorted) {
      flip = true;
      limit = args.last;
    } else {
      throw new CursorError('Cannot do last of an unordered set');
    }
  }
  return { limit, offset, flip };
}

export function naturalPage(c: Compiler, src: PageSource, where: SQL[], ordering: Ordering, args: PagingArgs): Page {
  const a = src.alias;
  const page = c.alias();
  const { limit, offset, flip } = pageWindow(ordering, args);
  const keys = ordering.specs.map((s, i) => sql`, ${specExpr(a, s)} as ${sql.raw(`__o${i}`)}`);
  const whereSql = where.length ? sql`where ${sql.join(where, ' and ')}` : sql``;
  // the place among the filtered rows, in the order the function returns them (as v4 numbers
  // them; no `with ordinality`, which would add a column and stop the row being its table's type
  // for computed columns in conditions and orders)
  const numbered = sql`select ${src.columns}${sql.join(keys, '')}, row_number() over () as __idx from ${src.source} as ${a} ${whereSql}`;
  const direction = (ascending: boolean) => sql.raw(ascending ? 'asc' : 'desc');
  const order = (reverse: boolean) => sql.join([
    ...ordering.specs.map((s, i) => sql`__w.${sql.raw(`__o${i}`)} ${dirSql(s, reverse)}`),
    sql`__w.__idx ${direction(!reverse)}`,
  ], ', ');
  // one row past the page tells whether there is a next one (not when read backwards: v4
  // counts the whole set then)
  const extra = !flip && limit != null && args.peek ? 1 : 0;
  const slice = sql`${limit == null ? sql`` : sql`limit ${sql.int(limit + extra)} `}${sql.offset(offset)}`;
  const window = sql`select __w.*, row_number() over (order by ${order(flip)}) as __r from (${numbered}) as __w order by ${order(flip)} ${slice}`;
  // a backwards read is turned round again, as v4 does
  const text = sql`select __v.*, row_number() over (order by __v.__r ${direction(!flip)}) as __n from (${window}) as __v`;
  let hasNext: SQL = sql`false`;
  if (limit != null && limit !== 0) {
    hasNext = flip
      ? sql`(select count(*) from ${src.source} as ${a} ${whereSql}) > ${sql.int(limit)}`
      : sql`count(*) > ${sql.int(limit)}`;
  }
  return {
    sql: text, alias: page, cursor: positionalCursorExpr(ordering.prefix, sql`${page}.__idx`),
    hasNext, hasPrev: sql`${limit !== 0 && offset > 0}::boolean`,
    limit: extra ? limit : null, reverse: false,
  };
}
