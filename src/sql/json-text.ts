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

/** Replaces JSON-text markers in a response body; bodies without any are returned as they are. */
export function finishJsonText(text: string): string {
  return text.includes(MARKER) ? JSON.stringify(JSON.parse(text, reviveJsonText)) : text;
}
