// v4's library option `jwtVerifyOptions` (jsonwebtoken's VerifyOptions) read into our verify
// fields, so the library and the CLI's `--jwt-verify-*` flags end in the one auth entry.
import type { VerifyOptions } from './verify';

export type JwtVerifyFields = Pick<VerifyOptions, 'jwtVerifyAlgorithms' | 'jwtAudiences' | 'jwtVerifyIssuer' | 'jwtVerifySubject'
  | 'jwtVerifyId' | 'jwtVerifyClockTolerance' | 'jwtVerifyIgnoreExpiration' | 'jwtVerifyIgnoreNotBefore' | 'jwtVerifyMaxAge'>;

const taken = ['algorithms', 'audience', 'issuer', 'subject', 'jwtid', 'clockTolerance', 'ignoreExpiration', 'ignoreNotBefore', 'maxAge'];

const strings = (v: unknown, name: string): string[] => {
  const list = Array.isArray(v) ? v : [v];
  if (list.some((x) => typeof x !== 'string')) throw new Error(`jwtVerifyOptions.${name} must be a string or an array of strings`);
  return list as string[];
};

const oneString = (v: unknown, name: string): string => {
  if (typeof v !== 'string') throw new Error(`jwtVerifyOptions.${name} must be a string`);
  return v;
};

/**
 * The fields `jwtVerifyOptions` sets. As in v4, it may not be given with `jwtAudiences` when it
 * has an `audience`; an empty `audience` turns the audience check off. Options that would change
 * what verification returns (`complete`) or fix the clock (`clockTimestamp`) are refused by name.
 */
export function fromJwtVerifyOptions(given: Record<string, unknown>, jwtAudiences: string[] | undefined): JwtVerifyFields {
  const refused = Object.keys(given).filter((k) => !taken.includes(k) && given[k] !== undefined);
  if (refused.length) {
    throw new Error(`jwtVerifyOptions: forum-dev does not support ${refused.map((k) => `\`${k}\``).join(', ')}; it takes ${taken.join(', ')}`);
  }
  if (jwtAudiences !== undefined && 'audience' in given) {
    throw new Error("Provide either 'jwtAudiences' or 'jwtVerifyOptions.audience' but not both");
  }
  const out: JwtVerifyFields = {};
  if (given.algorithms !== undefined) out.jwtVerifyAlgorithms = strings(given.algorithms, 'algorithms');
  if ('audience' in given) out.jwtAudiences = given.audience == null ? [] : strings(given.audience, 'audience');
  if (given.issuer !== undefined) out.jwtVerifyIssuer = strings(given.issuer, 'issuer');
  if (given.subject !== undefined) out.jwtVerifySubject = oneString(given.subject, 'subject');
  if (given.jwtid !== undefined) out.jwtVerifyId = oneString(given.jwtid, 'jwtid');
  if (given.clockTolerance !== undefined) {
    if (typeof given.clockTolerance !== 'number' || !(given.clockTolerance >= 0)) throw new Error('jwtVerifyOptions.clockTolerance must be a number of seconds');
    out.jwtVerifyClockTolerance = given.clockTolerance;
  }
  if (given.ignoreExpiration !== undefined) out.jwtVerifyIgnoreExpiration = !!given.ignoreExpiration;
  if (given.ignoreNotBefore !== undefined) out.jwtVerifyIgnoreNotBefore = !!given.ignoreNotBefore;
  if (given.maxAge !== undefined) {
    if (typeof given.maxAge !== 'number' && typeof given.maxAge !== 'string') throw new Error('jwtVerifyOptions.maxAge must be seconds or a span like "2h"');
    out.jwtVerifyMaxAge = given.maxAge;
  }
  return out;
}
