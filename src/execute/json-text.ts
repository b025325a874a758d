// Finishing the JSON text the database answered. JSON columns are sent as JSON text (v4's
// default), and v4's text is compact: it is JSON.stringify of the parsed value, whatever spacing
// the column stored. Postgres cannot produce that text, so such values leave SQL wrapped in a
// marker object and are turned into text here: only responses that contain a marker are parsed;
// all others pass untouched. JWTs are signed here too, the one place that signs a token a
// query or mutation returns.

/** The marker's only key; a control character keeps it apart from real data. */
const JSON_TEXT_KEY = '\u0001json';
const MARKER = '"\\u0001json"';
/** Marks a jwt_token composite (as a JSON object of its attributes) that is still to be signed. */
const JWT_KEY = '\u0001jwt';
const JWT_MARKER = '"\\u0001jwt"';

export type JwtSigner = (claims: Record<string, unknown>) => string;

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

/** Replaces markers (JSON text, JWTs) in a response body, and drops the spacing Postgres puts in. */
export function finishJsonText(text: string, sign?: JwtSigner): string {
  return text.includes(MARKER) || text.includes(JWT_MARKER)
    ? JSON.stringify(JSON.parse(text, reviver(sign)))
    : compactJson(text);
}

/**
 * Postgres's json_build_object and json_agg write `{"a" : 1}` and `[1, \n 2]`; v4 (and most
 * servers) send `{"a":1}`. One pass over the text drops whitespace outside strings, without
 * parsing it into values.
 */
export function compactJson(text: string): string {
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \\ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) {
      inString = true;
    } else if (ch === 32 || ch === 10 || ch === 13 || ch === 9) {
      out += text.slice(start, i);
      while (i + 1 < text.length && ((ch2) => ch2 === 32 || ch2 === 10 || ch2 === 13 || ch2 === 9)(text.charCodeAt(i + 1))) i++;
      start = i + 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}
