// Bearer-token extraction and JWT verification, mirroring PostGraphile v4
// (http/createPostGraphileHttpRequestHandler.js `getJwtToken` and
// withPostGraphileContext.js `getSettingsForPgClientTransaction`).
//
// What v4 does, and what is kept here:
// - The Authorization header is only looked at when a verification key is configured
//   (`jwtPublicKey || jwtSecret`); without one, v4's HTTP handler ignores the header entirely,
//   even a malformed one, and the request runs as the default role. `authenticateRequest`
//   keeps that. Called directly with a token but no key, v4's context builder rejects with 403
//   "Not allowed to provide a JWT token."; `verifyToken` keeps that.
// - Audience: v4 verifies with `audience: jwtAudiences || ['postgraphile']`. jsonwebtoken then
//   compares every `aud` of the token (an absent `aud` counts as `[undefined]`) against that
//   list, so a token WITHOUT an `aud` claim is rejected ("jwt audience invalid. expected:
//   postgraphile") unless audience checking is switched off. v4's CLI switches it off with
//   `--jwt-verify-audience ''` (an empty list, turned into "no audience option"); here an empty
//   `jwtAudiences` array does the same.
// - Algorithms: v4 passes `--jwt-verify-algorithms` through; when unset, jsonwebtoken picks them
//   from the key: HS256/384/512 for a secret, RS/PS for an RSA public key, ES for an EC key. An
//   HS token checked against a public key is therefore refused (no algorithm confusion).
// - `alg: none` is refused outright, whatever the configured algorithms say.
// - Status: 401 for TokenExpiredError ("jwt expired"), 403 for every other failure, including
//   a role claim at the `jwtRole` path that is present but not a string.

import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type * as jwt from 'jsonwebtoken';
import { jwtLib } from './jwt-lib';

export type AuthResult =
  | { ok: true; token?: string; claims: Record<string, unknown> }
  | { ok: false; status: number; message: string };

export interface VerifyOptions extends JwtVerifyChecks {
  jwtSecret?: string;
  jwtPublicKey?: string;
  jwtVerifyAlgorithms?: string[];
  /** Accepted `aud` values; undefined means v4's `['postgraphile']`, `[]` disables the check. */
  jwtAudiences?: string[];
  /** Path to the role claim (v4's `--jwt-role`); defaults to `['role']`. */
  jwtRole?: string[];
  /** Accept tokens minted by the watch-mode dev-token route (only a server in watch mode does). */
  acceptDevTokens?: boolean;
  /** The key made ready once (see `verificationKeyObject`); made from the strings when absent. */
  keyObject?: KeyObject;
  /** Tokens this server verified before (see verifyToken); none are kept when absent. */
  verified?: VerifiedTokens;
}

/** Tokens verified with one server's key and checks, and what they verified to. */
export type VerifiedTokens = Map<string, AuthResult & { ok: true }>;

const MAX_VERIFIED = 1000;

/** v4's `--jwt-verify-*` checks (and `jwtVerifyOptions`), passed to jsonwebtoken as v4 passes them. */
export interface JwtVerifyChecks {
  jwtVerifyIssuer?: string[];
  jwtVerifySubject?: string;
  jwtVerifyId?: string;
  /** Seconds of clock difference tolerated for `exp` and `nbf`. */
  jwtVerifyClockTolerance?: number;
  jwtVerifyIgnoreExpiration?: boolean;
  jwtVerifyIgnoreNotBefore?: boolean;
  /** Oldest `iat` accepted, as jsonwebtoken's `maxAge` (seconds or a span like `2h`; library only). */
  jwtVerifyMaxAge?: string | number;
}

/** The claim that marks a token signed by the dev-token route (http/dev-token.ts). */
export const DEV_TOKEN_CLAIM = 'forum_dev_dev_token';

/** The claims of a request without a token: one shared, frozen object. */
export const NO_CLAIMS: Record<string, unknown> = Object.freeze({});

export const DEFAULT_AUDIENCES: readonly string[] = ['postgraphile'];

export const BAD_AUTHORIZATION_HEADER_MESSAGE =
  'Authorization header is not of the correct bearer scheme format.';

export const TOKEN_WITHOUT_KEY_MESSAGE = 'Not allowed to provide a JWT token.';

// RFC 7235 token68 after a case-insensitive "Bearer", exactly v4's pattern.
const AUTHORIZATION_BEARER = /^\s*bearer\s+([a-z0-9\-._~+/]+=*)\s*$/i;

/**
 * Extracts the token from an `Authorization` header value. No header means no token; a
 * repeated header (array) or anything that is not `Bearer <token68>` is a 400, as in v4.
 */
export function tokenFromAuthorizationHeader(
  header: string | string[] | undefined,
): { ok: true; token?: string } | { ok: false; status: 400; message: string } {
  if (Array.isArray(header)) return badHeader();
  if (header == null) return { ok: true };
  const match = AUTHORIZATION_BEARER.exec(header);
  if (!match) return badHeader();
  return { ok: true, token: match[1] };
}

function badHeader(): { ok: false; status: 400; message: string } {
  return { ok: false, status: 400, message: BAD_AUTHORIZATION_HEADER_MESSAGE };
}

/** The key v4 verifies with: the public key wins over the secret. Empty strings count as unset. */
export function verificationKey(opts: { jwtSecret?: string; jwtPublicKey?: string }): string | undefined {
  return opts.jwtPublicKey || opts.jwtSecret || undefined;
}

/**
 * The verification key as jsonwebtoken makes it from the string on every call (a public key when
 * it parses as one, else an HMAC secret), made once per server instead: the failed public-key
 * parse of a secret was most of the CPU of a request with a token.
 */
export function verificationKeyObject(opts: { jwtSecret?: string; jwtPublicKey?: string }): KeyObject | undefined {
  const key = verificationKey(opts);
  if (!key) return undefined;
  try {
    return createPublicKey(key);
  } catch {
    return createSecretKey(Buffer.from(key));
  }
}

/**
 * The whole per-request step as v4's HTTP handler does it: without a configured key the header
 * is not read at all; otherwise a bad header is 400, no header is anonymous, a token is verified.
 */
export function authenticateRequest(
  authorization: string | string[] | undefined,
  opts: VerifyOptions,
): AuthResult {
  if (!verificationKey(opts)) return { ok: true, claims: NO_CLAIMS };
  const parsed = tokenFromAuthorizationHeader(authorization);
  if (!parsed.ok) return parsed;
  if (parsed.token === undefined) return { ok: true, claims: NO_CLAIMS };
  return verifyToken(parsed.token, opts);
}

/**
 * Verifies a JWT and returns its claims, or the HTTP status and message v4 would give. A client
 * sends the same token with every request: a token verified before is taken from `opts.verified`
 * (its signature and claims cannot have changed under the same key and checks) after its time
 * claims are checked again; one that fails them is verified afresh, for the exact error.
 */
export function verifyToken(token: string, opts: VerifyOptions): AuthResult {
  const known = opts.verified?.get(token);
  if (known && stillInTime(known.claims, opts)) {
    // kept in the order of use, so the oldest dropped is the least recently used
    opts.verified!.delete(token);
    opts.verified!.set(token, known);
    return known;
  }
  const result = verifyAfresh(token, opts);
  const cache = opts.verified;
  // maxAge is measured from `iat` with the verifier's own clock rules: left to every call
  if (cache && opts.jwtVerifyMaxAge === undefined) {
    cache.delete(token);
    if (result.ok) {
      if (cache.size >= MAX_VERIFIED) cache.delete(cache.keys().next().value as string);
      cache.set(token, result);
    }
  }
  return result;
}

/** `exp` and `nbf` checked as jsonwebtoken checks them, now. */
function stillInTime(claims: Record<string, unknown>, opts: VerifyOptions): boolean {
  const now = Math.floor(Date.now() / 1000);
  const tolerance = opts.jwtVerifyClockTolerance ?? 0;
  const { exp, nbf } = claims;
  if (exp !== undefined && !opts.jwtVerifyIgnoreExpiration && (typeof exp !== 'number' || now >= exp + tolerance)) return false;
  if (nbf !== undefined && !opts.jwtVerifyIgnoreNotBefore && (typeof nbf !== 'number' || nbf > now + tolerance)) return false;
  return true;
}

function verifyAfresh(token: string, opts: VerifyOptions): AuthResult {
  const key = verificationKey(opts);
  if (!key) return forbidden(TOKEN_WITHOUT_KEY_MESSAGE);

  const header = decodeHeader(token);
  if (header && typeof header.alg === 'string' && header.alg.toLowerCase() === 'none') {
    return forbidden('jwt algorithm "none" is not allowed');
  }

  const verifyOptions: jwt.VerifyOptions = {};
  if (opts.jwtVerifyAlgorithms) {
    verifyOptions.algorithms = opts.jwtVerifyAlgorithms.filter(
      (alg) => alg.toLowerCase() !== 'none',
    ) as jwt.Algorithm[];
  }
  const audiences = opts.jwtAudiences ?? DEFAULT_AUDIENCES;
  if (audiences.length > 0) verifyOptions.audience = [...audiences] as [string, ...string[]];
  if (opts.jwtVerifyIssuer?.length) verifyOptions.issuer = [...opts.jwtVerifyIssuer] as [string, ...string[]];
  if (opts.jwtVerifySubject !== undefined) verifyOptions.subject = opts.jwtVerifySubject;
  // v4's CLI hands this to jsonwebtoken as `jwtId`, a name it does not read, so v4 never checks
  // it; the check the flag names is made here (refusing more, never less).
  if (opts.jwtVerifyId !== undefined) verifyOptions.jwtid = opts.jwtVerifyId;
  if (opts.jwtVerifyClockTolerance !== undefined) verifyOptions.clockTolerance = opts.jwtVerifyClockTolerance;
  if (opts.jwtVerifyIgnoreExpiration) verifyOptions.ignoreExpiration = true;
  if (opts.jwtVerifyIgnoreNotBefore) verifyOptions.ignoreNotBefore = true;
  if (opts.jwtVerifyMaxAge !== undefined) verifyOptions.maxAge = opts.jwtVerifyMaxAge;

  let decoded: unknown;
  try {
    decoded = jwtLib().verify(token, opts.keyObject ?? key, verifyOptions);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const message = e.message || 'Invalid JWT';
    return e.name === 'TokenExpiredError'
      ? { ok: false, status: 401, message }
      : forbidden(message);
  }
  if (decoded == null || typeof decoded !== 'object' || Array.isArray(decoded)) {
    return forbidden('Invalid JWT payload');
  }
  const claims = decoded as Record<string, unknown>;
  // Dev tokens share the data dir's secret with later runs; only watch mode honours them.
  if (claims[DEV_TOKEN_CLAIM] !== undefined && !opts.acceptDevTokens) {
    return forbidden(`This token was signed by a watch-mode dev server (claim ${DEV_TOKEN_CLAIM}) and is only accepted in watch mode.`);
  }

  const roleClaim = getPath(claims, opts.jwtRole ?? ['role']);
  if (roleClaim !== undefined && typeof roleClaim !== 'string') {
    return forbidden(`JWT \`role\` claim must be a string. Instead found '${typeof roleClaim}'.`);
  }
  return { ok: true, token, claims };
}

function forbidden(message: string): AuthResult {
  return { ok: false, status: 403, message };
}

function decodeHeader(token: string): { alg?: unknown } | null {
  try {
    const complete = jwtLib().decode(token, { complete: true });
    return complete && typeof complete.header === 'object' ? complete.header : null;
  } catch {
    return null;
  }
}

/**
 * v4's lodash-style `getPath`: walks while the current value is truthy; a path cut short by a
 * falsy value yields undefined, a fully walked path yields whatever is there.
 */
export function getPath(object: unknown, path: readonly string[]): unknown {
  let current: unknown = object;
  let index = 0;
  while (current && index < path.length) {
    current = (current as Record<string, unknown>)[path[index++]];
  }
  return index && index === path.length ? current : undefined;
}
