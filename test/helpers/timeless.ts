// Guards recorded answers against values that change from run to run. A recorded answer that
// holds the date of the run (or a timestamp, epoch or signed token from around now) passes on
// the day it is recorded and fails on every day after; this makes it fail on the day itself.

const day = 24 * 60 * 60 * 1000;

/** The ISO dates (YYYY-MM-DD) from a day before to a day after `now`, in UTC and local time. */
function nearbyDates(now: Date): string[] {
  const out = new Set<string>();
  for (const offset of [-day, 0, day]) {
    const d = new Date(now.getTime() + offset);
    out.add(d.toISOString().slice(0, 10));
    const pad = (n: number) => String(n).padStart(2, '0');
    out.add(`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`);
  }
  return [...out];
}

/** Decodes the claims of a JWT-looking string, or undefined. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws when `text` (a recorded answer, as it was produced by this run) holds a value that
 * depends on when the run happened: today's date, an epoch time within three days of now, or a
 * JWT carrying `iat`/`exp`. `what` names the file in the message.
 */
export function assertTimeless(text: string, what: string, now = new Date()): void {
  const problems: string[] = [];
  for (const date of nearbyDates(now)) {
    if (text.includes(date)) problems.push(`the date of the run (${date})`);
  }
  const seconds = now.getTime() / 1000;
  for (const m of text.matchAll(/(?<![\d.])(\d{10})(?:\.\d+)?(?![\d])/g)) {
    if (Math.abs(Number(m[1]) - seconds) < 3 * 86400) problems.push(`an epoch time near now (${m[1]})`);
  }
  for (const m of text.matchAll(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g)) {
    const claims = jwtClaims(m[0]);
    if (claims && ('iat' in claims || 'exp' in claims)) problems.push('a JWT that carries iat/exp');
  }
  if (problems.length) {
    throw new Error(`${what} depends on when the test runs: it holds ${[...new Set(problems)].join(', ')}. ` +
      'Write such values explicitly in the fixture (a constant default or an explicit value) so the answer is the same on any day.');
  }
}
