// A small, safe SQL fragment builder. Interpolated JavaScript values always become bind
// parameters; identifiers go through `ident` (always quoted); raw text is only for constants in
// this code base, never for anything that came from a request. The one exception is `int`: a
// page's size, an integer checked here, is written into the text so that the planner knows it
// (a `limit $1` makes Postgres plan every execution afresh rather than keep one generic plan).
// Offsets and cursor positions stay bound: they differ from page to page, and written into the
// text each page would be a statement of its own, prepared again on every connection.

const SQL_TAG = Symbol('sql');

type Chunk = string | { value: unknown } | SQL;

export interface SQL {
  readonly [SQL_TAG]: true;
  readonly chunks: readonly Chunk[];
}

function make(chunks: Chunk[]): SQL {
  return { [SQL_TAG]: true, chunks };
}

export function isSQL(x: unknown): x is SQL {
  return typeof x === 'object' && x !== null && (x as any)[SQL_TAG] === true;
}

/** Template tag: `sql\`select ${sql.ident('a')} where id = ${value}\``. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SQL {
  const chunks: Chunk[] = [];
  strings.forEach((s, i) => {
    if (s) chunks.push(s);
    if (i < values.length) {
      const v = values[i];
      chunks.push(isSQL(v) ? v : { value: v });
    }
  });
  return make(chunks);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `ident('schema', 'table')` → `"schema"."table"`. */
sql.ident = (...names: string[]): SQL => make([names.map(quoteIdent).join('.')]);
sql.raw = (text: string): SQL => make([text]);
sql.value = (value: unknown): SQL => make([{ value }]);
/** A safe integer as a literal (`20::int8`); anything else is refused. */
sql.int = (n: number): SQL => {
  if (!Number.isSafeInteger(n)) throw new TypeError(`Not an integer: ${String(n)}`);
  return make([`${n}::int8`]);
};
/** `offset n`, bound (it varies from page to page); nothing at all for an offset of 0. */
sql.offset = (n: number): SQL => (n ? sql`offset ${n}::int8` : sql.empty);
sql.join = (items: readonly SQL[], separator: string): SQL => {
  const chunks: Chunk[] = [];
  items.forEach((item, i) => {
    if (i > 0 && separator) chunks.push(separator);
    chunks.push(item);
  });
  return make(chunks);
};
sql.empty = make([]);
/**
 * A fragment placed now and written later, before `compile`: a page's column list, known only
 * once the expressions that read the page have been built.
 */
sql.later = (): { sql: SQL; set(f: SQL): void } => {
  const chunks: Chunk[] = [];
  return { sql: make(chunks), set: (f) => { chunks.length = 0; chunks.push(f); } };
};
/** A string literal for SQL text that must be constant (JSON keys); quotes are doubled. */
sql.literal = (text: string): SQL => make([`'${text.replace(/'/g, "''")}'`]);

export interface CompiledSQL {
  text: string;
  values: unknown[];
}

/** Renders a fragment to text with `$n` placeholders, numbering from `offset + 1`. */
export function compile(fragment: SQL, offset = 0): CompiledSQL {
  const values: unknown[] = [];
  let text = '';
  const walk = (f: SQL) => {
    for (const c of f.chunks) {
      if (typeof c === 'string') text += c;
      else if (isSQL(c)) walk(c);
      else {
        values.push(c.value);
        text += `$${offset + values.length}`;
      }
    }
  };
  walk(fragment);
  return { text, values };
}
