// Signing the composite named by `jwtTokenIdentifier` into a JWT, mirroring graphile-build-pg v4's
// PgJWTPlugin (`serialize` of the JWT scalar).
//
// v4's rules, kept here:
// - Every attribute of the composite becomes a claim, in attribute order, null values included
//   (they are signed as `null`). v4 reads the composite through json_build_object with its usual
//   type tweaks, so bigint/numeric attributes arrive as strings; callers should pass values the
//   same way to get byte-identical claims.
// - `exp`, when truthy, is passed through parseFloat (it is usually a bigint, so a string);
//   a falsy `exp` becomes undefined.
// - Defaults, each only when neither the composite nor `jwtSignOptions` provides it:
//   `audience: 'postgraphile'` (checked on `aud`), `issuer: 'postgraphile'` (on `iss`),
//   `expiresIn: '1 day'` (on `exp`, truthiness). jsonwebtoken's own checks then apply unchanged,
//   so, as in v4, a composite whose `exp`/`iat`/`nbf` attribute is null, or whose `aud` is null
//   while the default audience is added, makes signing throw.
// - A composite whose value is null or whose attributes are all null maps to GraphQL null and is
//   never signed: callers check `isNullJwtComposite` first.
// - v4 signs with `jwtSecret` only (HS256 unless `jwtSignOptions.algorithm` says otherwise).
//   A `jwtPrivateKey`, when given, is used instead, with the algorithm inferred from the key
//   when `jwtSignOptions.algorithm` is unset (RS256, PS256, ES256/384/512).

import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import type * as jwt from 'jsonwebtoken';
import { jwtLib } from './jwt-lib';

export interface JwtSignConfig {
  jwtSecret?: string;
  jwtPrivateKey?: string;
  jwtSignOptions?: jwt.SignOptions;
  /** The key made ready once (see `signingKeyObject`); made from the strings when absent. */
  keyObject?: KeyObject;
}

/** The signing key as jsonwebtoken makes it on every call (a private key, else a secret), once. */
export function signingKeyObject(opts: { jwtSecret?: string; jwtPrivateKey?: string }): KeyObject | undefined {
  const key = opts.jwtPrivateKey || opts.jwtSecret;
  if (!key) return undefined;
  try {
    return createPrivateKey(key);
  } catch {
    return createSecretKey(Buffer.from(key));
  }
}

/** True when v4 would return null for the composite instead of a token. */
export function isNullJwtComposite(value: Record<string, unknown> | null | undefined): boolean {
  if (!value) return true;
  return !Object.values(value).some((v) => v != null);
}

/** The claims v4 builds from the composite's attributes before signing. */
export function claimsFromJwtComposite(attributes: Record<string, unknown>): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    claims[name] = name === 'exp' ? (value ? parseFloat(String(value)) : undefined) : value;
  }
  return claims;
}

/** Signs the composite's attributes as v4 does; throws when no signing key is configured. */
export function signJwtToken(attributes: Record<string, unknown>, opts: JwtSignConfig): string {
  const key = opts.jwtPrivateKey || opts.jwtSecret;
  if (!key) throw new Error('jwtTokenIdentifier was specified without jwtSecret');
  const token = claimsFromJwtComposite(attributes);
  const given = opts.jwtSignOptions;
  const signOptions: jwt.SignOptions = {
    ...given,
    ...(token.aud || given?.audience ? null : { audience: 'postgraphile' }),
    ...(token.iss || given?.issuer ? null : { issuer: 'postgraphile' }),
    ...(token.exp || given?.expiresIn ? null : { expiresIn: '1 day' }),
  };
  if (opts.jwtPrivateKey && !signOptions.algorithm) {
    signOptions.algorithm = algorithmForPrivateKey(opts.jwtPrivateKey);
  }
  return jwtLib().sign(token, opts.keyObject ?? key, signOptions);
}

function algorithmForPrivateKey(pem: string): jwt.Algorithm {
  const keyObject = createPrivateKey(pem);
  switch (keyObject.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ec': {
      const curve = keyObject.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      if (curve === 'secp521r1') return 'ES512';
      throw new Error(`Unsupported EC curve for JWT signing: ${String(curve)}`);
    }
    default:
      throw new Error(`Unsupported private key type for JWT signing: ${String(keyObject.asymmetricKeyType)}`);
  }
}
