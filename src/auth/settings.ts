// Turning verified JWT claims into transaction-local PostgreSQL settings, mirroring PostGraphile
// v4's `getSettingsForPgClientTransaction` and the `set_config` statement built from it.
//
// v4's rules, kept here:
// - `role` comes from the claim at the `jwtRole` path when that is defined, else the default role;
//   no role setting at all when neither exists. A defined non-string role claim is an error.
// - Every own claim becomes `jwt.claims.<key>`: objects and arrays as JSON text, strings, numbers
//   and booleans via String(); null and undefined claims are skipped (no setting).
// - Integrator settings (v4's `pgSettings`) go first, then role, then claims; duplicates keep
//   the LAST occurrence. So a `role` from the integrator replaces the JWT/default role, while a
//   `jwt.claims.*` key from the integrator is overridden by the real claim of the same name.
// - Names and values are always bind parameters of `set_config(name, value, true)`.
//
// One deliberate difference: a claim whose name cannot be a setting name (Auth0-style
// `https://example.com/claims`) is skipped instead of failing the whole request, as v4 and
// PostgreSQL 15+ would; it can still hold the role via the `jwtRole` path.

import { dedupeKeepLast, type Setting } from '../db/settings';
import { getPath } from './verify';


/** What PostgreSQL accepts after `jwt.claims.`: one identifier-like part. */
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export interface ClaimSettingsOptions {
  defaultRole?: string;
  /** Path to the role claim (v4's `--jwt-role`); defaults to `['role']`. */
  jwtRole?: string[];
}

/** `role` first (when known), then one `jwt.claims.<key>` per usable claim, in claim order. */
export function settingsFromClaims(
  claims: Record<string, unknown>,
  opts: ClaimSettingsOptions,
): Setting[] {
  const settings: Setting[] = [];
  const role = roleFromClaims(claims, opts);
  if (role !== undefined) settings.push(['role', role]);
  for (const key of Object.keys(claims)) {
    if (!SETTING_NAME.test(key)) continue;
    const raw = claims[key];
    // Raw objects must not reach set_config; v4 stores them as JSON text.
    const value = raw != null && typeof raw === 'object' ? JSON.stringify(raw) : raw;
    if (isSettingValue(value, `jwt.claims.${key}`)) settings.push([`jwt.claims.${key}`, String(value)]);
  }
  return settings;
}

/** The role the transaction runs as: claim at the `jwtRole` path, else `defaultRole`. */
export function roleFromClaims(
  claims: Record<string, unknown>,
  opts: ClaimSettingsOptions,
): string | undefined {
  const claim = getPath(claims, opts.jwtRole ?? ['role']);
  if (claim === undefined) return opts.defaultRole;
  if (typeof claim !== 'string') {
    throw new Error(`JWT \`role\` claim must be a string. Instead found '${typeof claim}'.`);
  }
  return claim;
}

/**
 * Combines settings derived from the JWT (`base`, as from `settingsFromClaims`) with an
 * integrator's settings object (`extra`, v4's `pgSettings`). Same precedence as v4: `extra.role`
 * replaces the role; for any other shared key the JWT-derived value wins. Null/undefined extra
 * values are skipped; values other than string/number/boolean are an error, as in v4.
 */
export function mergeSettings(
  base: Setting[],
  extra: Record<string, unknown> | null | undefined,
): Setting[] {
  const merged: Setting[] = [];
  let extraRole: string | undefined;
  if (extra && typeof extra === 'object') {
    for (const key of Object.keys(extra)) {
      const value = extra[key];
      if (!isSettingValue(value, key)) continue;
      if (key === 'role') extraRole = String(value);
      else merged.push([key, String(value)]);
    }
  }
  let baseRole: string | undefined;
  for (const [key, value] of base) if (key === 'role') baseRole = value;
  const role = extraRole ?? baseRole;
  if (role !== undefined) merged.push(['role', role]);
  for (const setting of base) if (setting[0] !== 'role') merged.push(setting);
  return dedupeKeepLast(merged);
}

function isSettingValue(value: unknown, name: string): value is string | number | boolean {
  if (value === undefined || value === null) return false;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  throw new Error(
    `Error converting pgSetting: ${type} needs to be of type string, number or boolean. (${name})`,
  );
}
