// JSON columns are sent as JSON text (v4's default), and v4's text is compact: it is
// JSON.stringify of the parsed value, whatever spacing the column stored. Postgres cannot
// produce that text, so such values leave SQL wrapped in a marker object and are turned into
// text here: only responses that contain a marker are parsed; all others pass untouched.

/** The marker's only key; a control character keeps it apart from real data. */
export const JSON_TEXT_KEY = '\u0001json';
const MARKER = '"\\u0001json"';

export function reviveJsonText(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === JSON_TEXT_KEY) return JSON.stringify((value as Record<string, unknown>)[JSON_TEXT_KEY]);
  }
  return value;
}

/** Replaces JSON-text markers in a response body, and drops the spacing Postgres puts in. */
export function finishJsonText(text: string): string {
  return text.includes(MARKER) ? JSON.stringify(JSON.parse(text, reviveJsonText)) : compactJson(text);
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
