// Finishing the JSON text the database answered. JSON columns are sent as JSON text (v4's
// default), and v4's text is compact: it is JSON.stringify of the parsed value, whatever spacing
// the column stored. Postgres cannot produce that text, so such values leave SQL wrapped in a
// marker object and are turned into text here: only responses that contain a marker are parsed;
// all others pass untouched. JWTs are signed here too, the one place that signs a token a
// query or mutation returns. A number GraphQL cannot carry (a line's infinite coordinate) comes
// as a marker too, and becomes the error graphql-js would raise for it.

/** The marker's only key; a control character keeps it apart from real data. */
const JSON_TEXT_KEY = '\u0001json';
const MARKER = '"\\u0001json"';
/** Marks a jwt_token composite (as a JSON object of its attributes) that is still to be signed. */
const JWT_KEY = '\u0001jwt';
const JWT_MARKER = '"\\u0001jwt"';

/** Marks a Float field's value that is not a finite number: `{"\u0001float": "Infinity"}`. */
const FLOAT_KEY = '\u0001float';
const FLOAT_MARKER = '"\\u0001float"';

export type JwtSigner = (claims: Record<string, unknown>) => string;

/** Where the field answering at a response path is in the document (for an error's `locations`). */
export type Locate = (path: ReadonlyArray<string | number>) => ReadonlyArray<{ line: number; column: number }> | undefined;

function marked(value: unknown, key: string): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key;
}

/** A JSON.parse reviver for bodies with markers; JWTs are signed with `sign` (or left null). */
export function reviver(sign?: JwtSigner): (key: string, value: unknown) => unknown {
  return (_key, value) => {
    if (marked(value, JSON_TEXT_KEY)) return JSON.stringify(value[JSON_TEXT_KEY]);
    if (marked(value, JWT_KEY)) return signToken(value[JWT_KEY] as Record<string, unknown> | null, sign);
    // through graphql-js (the library API) the number itself, which its Float refuses
    if (marked(value, FLOAT_KEY)) return Number(value[FLOAT_KEY]);
    return value;
  };
}

/** A jwt_token value as the token the API answers. */
export function signToken(claims: Record<string, unknown> | null, sign?: JwtSigner): string | null {
  // a composite whose attributes are all null is no token, as in v4
  if (!claims || Object.values(claims).every((v) => v === null)) return null;
  if (!sign) throw new Error('This server has no JWT secret, so it cannot sign the token this API returns.');
  return sign(claims);
}

/** Replaces markers (JSON text, JWTs, bad floats) in a response body, and drops Postgres's spacing. */
export function finishJsonText(text: string, sign?: JwtSigner, locate?: Locate): string {
  // every marker's key starts with U+0001, which JSON text writes as \u0001: one search for all
  if (!text.includes('\\u0001')) return compactJson(text);
  if (text.includes(FLOAT_MARKER)) return settleFloats(JSON.parse(text, floatsKept(reviver(sign))), locate);
  return text.includes(MARKER) || text.includes(JWT_MARKER)
    ? JSON.stringify(JSON.parse(text, reviver(sign)))
    : compactJson(text);
}

const floatsKept = (inner: (key: string, value: unknown) => unknown) => (key: string, value: unknown) =>
  (marked(value, FLOAT_KEY) ? value : inner(key, value));

/**
 * What graphql-js does with a Float! that is not a finite number: an error at the field's path,
 * and null for the object holding it (the first such field of an object only: graphql-js stops
 * there). Markers only stand for a line's coordinates, whose point fields are nullable.
 */
function settleFloats(body: Record<string, unknown>, locate?: Locate): string {
  const errors: unknown[] = [];
  const settle = (value: unknown, path: Array<string | number>): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v, i) => settle(v, [...path, i]));
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const v = object[key];
      if (marked(v, FLOAT_KEY)) {
        const at = [...path, key];
        const locations = locate?.(at);
        errors.push({ message: `Float cannot represent non numeric value: ${String(v[FLOAT_KEY])}`, ...(locations ? { locations } : {}), path: at });
        return null;
      }
      object[key] = settle(v, [...path, key]);
    }
    return object;
  };
  const data = settle(body.data, []);
  const { errors: earlier, data: _data, ...rest } = body;
  return JSON.stringify({ errors: [...((earlier as unknown[]) ?? []), ...errors], data, ...rest });
}

/**
 * Postgres's json_build_object and json_agg write `{"a" : 1}` and `[1, \n 2]`; v4 (and most
 * servers) send `{"a":1}`. One pass over the text drops whitespace outside strings, without
 * parsing it into values; strings are stepped over with indexOf, which is several times faster
 * than looking at each of their characters.
 */
export function compactJson(text: string): string {
  let out = '';
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      i = stringEnd(text, i);
    } else if (isSpace(ch)) {
      out += text.slice(start, i);
      i++;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      start = i;
    } else {
      i++;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}

const isSpace = (ch: number) => ch === 32 || ch === 10 || ch === 13 || ch === 9;

/** The index after the string opening at `open` (the text's end if it never closes). */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    // escaped only by an odd number of backslashes before it
    let k = quote - 1;
    while (text.charCodeAt(k) === 92 /* \\ */) k--;
    if ((quote - 1 - k) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}
