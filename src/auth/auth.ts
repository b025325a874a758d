// The one way in for every transport (HTTP, WebSocket, the library API, the dev-token route):
// a request's bearer token is verified, its claims become transaction-local settings, and
// `jwt_token` results are signed, all from one configuration.
import type { KeyObject } from 'node:crypto';
import type { Setting } from '../db/settings';
import { mergeSettings, settingsFromClaims } from './settings';
import { signJwtToken, signingKeyObject } from './sign';
import { authenticateRequest, verificationKeyObject, verifyToken, type AuthResult, type VerifyOptions } from './verify';

export interface AuthConfig extends VerifyOptions {
  defaultRole?: string;
  /** The transaction's `statement_timeout` in milliseconds (0 or absent: none). */
  statementTimeout?: number;
  /** Watch mode: the only mode that accepts tokens signed by the dev-token route. */
  watch?: boolean;
}

export interface Auth {
  /** Verifies an `Authorization` header value (none means anonymous), as v4's HTTP handler. */
  authenticate(authorization: string | string[] | undefined): AuthResult;
  /** Verifies a bare token (library API, `jwtToken`). */
  verify(token: string): AuthResult;
  /** Claims and the integrator's extra settings (v4's `pgSettings`) → the transaction's settings. */
  settings(claims: Record<string, unknown>, extra?: Record<string, unknown>): Setting[];
  /** Signs a JWT composite's attributes; undefined when no secret is configured. */
  sign?: (claims: Record<string, unknown>) => string;
}

export function createAuth(config: AuthConfig): Auth {
  const verify: VerifyOptions = {
    jwtSecret: config.jwtSecret, jwtPublicKey: config.jwtPublicKey, jwtVerifyAlgorithms: config.jwtVerifyAlgorithms,
    jwtAudiences: config.jwtAudiences, jwtRole: config.jwtRole, acceptDevTokens: config.acceptDevTokens ?? !!config.watch,
    jwtVerifyIssuer: config.jwtVerifyIssuer, jwtVerifySubject: config.jwtVerifySubject, jwtVerifyId: config.jwtVerifyId,
    jwtVerifyClockTolerance: config.jwtVerifyClockTolerance, jwtVerifyIgnoreExpiration: config.jwtVerifyIgnoreExpiration,
    jwtVerifyIgnoreNotBefore: config.jwtVerifyIgnoreNotBefore, jwtVerifyMaxAge: config.jwtVerifyMaxAge,
    verified: new Map(),
  };
  // The keys are made with the first token verified or signed: making one from a secret starts
  // with a failed key parse, which an Auth made per call (the library's) need not pay unused.
  let verificationKey: KeyObject | undefined;
  Object.defineProperty(verify, 'keyObject', { get: () => (verificationKey ??= verificationKeyObject(config)) });
  // by claims object (a kept token's, or the anonymous request's): never changed once made
  const claimSettings = new WeakMap<Record<string, unknown>, Setting[]>();
  const secret = config.jwtSecret;
  let signingKey: KeyObject | undefined;
  return {
    authenticate: (authorization) => authenticateRequest(authorization, verify),
    verify: (token) => verifyToken(token, verify),
    settings(claims, extra) {
      // A kept token's claims are the same object on every request: their settings are too.
      const known = extra ? undefined : claimSettings.get(claims);
      if (known) return known;
      const base = settingsFromClaims(claims, { defaultRole: config.defaultRole, jwtRole: config.jwtRole });
      const merged = extra ? mergeSettings(base, extra) : base;
      // First, so an integrator's pgSettings may change it.
      const settings: Setting[] = config.statementTimeout ? [['statement_timeout', String(config.statementTimeout)], ...merged] : merged;
      if (!extra) claimSettings.set(claims, settings);
      return settings;
    },
    sign: secret ? (claims) => signJwtToken(claims, { jwtSecret: secret, keyObject: (signingKey ??= signingKeyObject({ jwtSecret: secret })) }) : undefined,
  };
}
