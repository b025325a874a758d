// How a collection is ordered and where a cursor points in it, with v4's cursor formats:
// - keyed: `["headline_asc",["Hello",1]]` — the order's sort values, made unique by the primary
//   key; pages are found with WHERE conditions on those values;
// - positional: `["natural",3]` or `["message_desc",3]` — a row's position, for function results
//   and tables without a primary key, where nothing makes an order unique.
import type { PgAttribute, PgClass, PgProc } from '../introspection/model';
import type { OrderByValue } from '../schema/plans';
import { sql, type SQL } from './fragment';
import type { Compiler } from './rows';
import { inputExpr, plausibleValue } from './values';

export class CursorError extends Error {}

/** v4's words for a cursor that cannot be read. */
export const INVALID_CURSOR = 'Invalid cursor, please enter a cursor from a previous request, or null.';

/**
 * One sort key: a column, or a computed column (`@sortable` function) called with the row.
 * `nullsFirst` is set by v4's `orderByNullsLast` (else nulls sort where Postgres puts them).
 */
export interface OrderSpec { attr?: PgAttribute; proc?: PgProc; ascending: boolean; nullsFirst?: boolean }

export interface Ordering {
  specs: OrderSpec[];
  /** The names that open each cursor. */
  prefix: string[];
  /** keyed: sort values identify a row; positional: only its position does. */
  mode: 'keyed' | 'positional';
}

export function specExpr(a: SQL, s: OrderSpec): SQL {
  return s.attr ? sql`${a}.${sql.ident(s.attr.name)}` : sql`${sql.ident(s.proc!.namespaceName, s.proc!.name)}(${a})`;
}

function specTypeId(s: OrderSpec): string {
  return s.attr ? s.attr.typeId : s.proc!.returnTypeId;
}

/**
 * `asc`/`desc` of a sort key, read forwards or backwards. An explicit nulls placement stays as it
 * is when reading backwards (for `last`), as v4 orders.
 */
export function dirSql(s: OrderSpec, reverse: boolean): SQL {
  const nulls = s.nullsFirst === undefined ? '' : s.nullsFirst ? ' nulls first' : ' nulls last';
  return sql.raw(`${(reverse ? !s.ascending : s.ascending) ? 'asc' : 'desc'}${nulls}`);
}

/** Where nulls sort in the forward order: at the start, or at the end. */
function nullsAtStart(s: OrderSpec): boolean {
  return s.nullsFirst ?? !s.ascending;
}

export function orderSql(specs: OrderSpec[], a: SQL, reverse: boolean): SQL {
  return sql.join(specs.map((s) => sql`${specExpr(a, s)} ${dirSql(s, reverse)}`), ', ');
}

/**
 * The explicit orderBy values, then the primary key so ties break the same way every time (as
 * v4 does). Without a primary key (and for function results left in their own order) the order
 * is positional.
 */
export function resolveOrdering(table: PgClass | null, orderBy: OrderByValue[], functionResult: boolean, viewUniqueKey = false): Ordering {
  const orders = orderBy.filter((o) => o.specs.length > 0);
  const specs: OrderSpec[] = orders.flatMap((o) => o.specs.map((s) => ({ attr: s.attr, proc: s.proc, ascending: s.ascending, nullsFirst: s.nullsFirst })));
  const prefix = orders.map((o) => o.cursorName);
  if (orders.some((o) => o.unique)) return { specs, prefix, mode: 'keyed' };
  const uniqueKey = viewUniqueKey && !table?.primaryKey && table?.classKind === 'v' && typeof table.tags.uniqueKey === 'string'
    ? table.attributes.find((a) => a.name === table.tags.uniqueKey) : undefined;
  if (uniqueKey) {
    return { specs: [...specs, { attr: uniqueKey, ascending: true }], prefix: specs.length ? prefix : ['view_unique_key_asc'], mode: 'keyed' };
  }
  const pk = table?.primaryKey
    ? table.primaryKey.keyAttributeNums.map((n) => ({ attr: table.attributes.find((a) => a.num === n)!, ascending: true }))
    : [];
  // function results are never made unique by the key: v4 pages them by position
  if (pk.length && !functionResult) {
    return { specs: [...specs, ...pk], prefix: specs.length ? prefix : ['primary_key_asc'], mode: 'keyed' };
  }
  return { specs, prefix: prefix.length ? prefix : ['natural'], mode: 'positional' };
}

export function decodeCursor(cursor: string): unknown[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
    if (Array.isArray(v)) return v;
  } catch { /* fall through */ }
  throw new CursorError(INVALID_CURSOR);
}

function foreignCursor(): CursorError {
  return new CursorError('Invalid cursor: it does not belong to this ordering of this collection.');
}

/** The row position a positional cursor holds. */
export function cursorPosition(ordering: Ordering, cursor: string): number {
  const decoded = decodeCursor(cursor);
  const n = decoded[decoded.length - 1];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || JSON.stringify(decoded.slice(0, -1)) !== JSON.stringify(ordering.prefix)) {
    throw foreignCursor();
  }
  return n;
}

/** The sort values a keyed cursor holds. */
export function cursorValues(ordering: Ordering, cursor: string): unknown[] {
  const decoded = decodeCursor(cursor);
  const values = decoded[decoded.length - 1];
  if (!Array.isArray(values) || values.length !== ordering.specs.length
    || JSON.stringify(decoded.slice(0, -1)) !== JSON.stringify(ordering.prefix)) {
    throw foreignCursor();
  }
  return values;
}

/** SQL for a keyed cursor: base64 of `[...prefix, [sort values]]`, built from the page row. */
export function keyedCursorExpr(prefix: string[], valueColumns: SQL[]): SQL {
  const parts = valueColumns.map((col) => sql`coalesce(to_json(${col})::text, 'null')`);
  // `["name_asc",[` || values joined by commas || `]]`: the JSON array the cursor decodes to
  const head = sql.literal(JSON.stringify(prefix).slice(0, -1) + ',[');
  return base64Text(sql`${head} || ${sql.join(parts, " || ',' || ")} || ']]'`);
}

export function positionalCursorExpr(prefix: string[], position: SQL): SQL {
  return base64Text(sql`${sql.literal(JSON.stringify(prefix).slice(0, -1) + ',')} || ${position}::text || ']'`);
}

export function base64Text(textExpr: SQL): SQL {
  return sql`translate(encode(convert_to(${textExpr}, 'utf8'), 'base64'), E'\\n', '')`;
}

/**
 * Rows strictly after (or before) the cursor's position, with nulls where the order puts them
 * (by default where Postgres sorts them: last when ascending, first when descending), so rows
 * with null sort values are paged through like any other.
 */
export function cursorCondition(c: Compiler, a: SQL, specs: OrderSpec[], values: unknown[], isAfter: boolean): SQL {
  specs.forEach((s, i) => {
    if (!plausibleValue(values[i], c.lookupType(specTypeId(s)))) throw foreignCursor();
  });
  const ors: SQL[] = [];
  for (let i = 0; i < specs.length; i++) {
    const eqs = specs.slice(0, i).map((s, j) => {
      const col = specExpr(a, s);
      if (values[j] === null) return sql`${col} is null`;
      return sql`${col} = ${inputExpr(values[j], c.lookupType(specTypeId(s)), c.lookupType)}`;
    });
    const s = specs[i];
    const col = specExpr(a, s);
    const v = values[i];
    // nulls lie on the far side of the cursor when they sort at the end and we look after it,
    // or at the start and we look before it
    const nullsBeyond = isAfter !== nullsAtStart(s);
    let cmp: SQL;
    if (v === null) cmp = nullsBeyond ? sql`false` : sql`${col} is not null`;
    else {
      const val = inputExpr(v, c.lookupType(specTypeId(s)), c.lookupType);
      const beyond = isAfter === s.ascending ? sql`${col} > ${val}` : sql`${col} < ${val}`;
      cmp = nullsBeyond ? sql`(${beyond} or ${col} is null)` : beyond;
    }
    ors.push(eqs.length ? sql`(${sql.join(eqs, ' and ')} and ${cmp})` : cmp);
  }
  return sql`(${sql.join(ors, ' or ')})`;
}
