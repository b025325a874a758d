// Transaction-local settings as the database receives them: (name, value) pairs applied with
// `set_config(name, value, true)` in one statement, so they end with the transaction.

export type Setting = [string, string];

/**
 * One statement applying every setting for the current transaction only. With no settings the
 * text is a bare `select` (a valid no-op); callers normally skip the round trip in that case.
 * The text depends only on how many settings there are, so it is made once per count.
 */
export function settingsStatement(settings: Setting[]): { text: string; values: string[] } {
  const unique = dedupeKeepLast(settings);
  const values: string[] = [];
  for (const [name, value] of unique) values.push(name, value);
  return { text: statementText(unique.length), values };
}

const texts: string[] = [];

function statementText(count: number): string {
  let text = texts[count];
  if (text === undefined) {
    const calls: string[] = [];
    for (let i = 1; i <= count; i++) calls.push(`set_config($${2 * i - 1}, $${2 * i}, true)`);
    text = calls.length ? `select ${calls.join(', ')}` : 'select';
    if (count < 64) texts[count] = text;
  }
  return text;
}

/** Later settings win; each survivor keeps the position of its last occurrence (as v4). */
export function dedupeKeepLast(settings: Setting[]): Setting[] {
  const seen = new Set<string>();
  const out: Setting[] = [];
  for (let i = settings.length - 1; i >= 0; i--) {
    const [key, value] = settings[i];
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([key, value]);
  }
  return out.reverse();
}
