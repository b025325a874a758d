// Transaction-local settings as the database receives them: (name, value) pairs applied with
// `set_config(name, value, true)` in one statement, so they end with the transaction.

export type Setting = [string, string];

// (a list is never changed once made; its statement is a function of it)
const statements = new WeakMap<Setting[], { text: string; values: string[] }>();

/**
 * One statement applying every setting for the current transaction only. With no settings the
 * text is a bare `select` (a valid no-op); callers normally skip the round trip in that case.
 * Made once per settings list: auth/ hands out the same list for the same claims.
 */
export function settingsStatement(settings: Setting[]): { text: string; values: string[] } {
  let statement = statements.get(settings);
  if (!statement) {
    const calls: string[] = [];
    const values: string[] = [];
    for (const [name, value] of dedupeKeepLast(settings)) {
      values.push(name, value);
      calls.push(`set_config($${values.length - 1}, $${values.length}, true)`);
    }
    statement = { text: calls.length ? `select ${calls.join(', ')}` : 'select', values };
    statements.set(settings, statement);
  }
  return statement;
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
