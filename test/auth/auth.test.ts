import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  authenticateRequest,
  tokenFromAuthorizationHeader,
  verifyToken,
  BAD_AUTHORIZATION_HEADER_MESSAGE,
} from '../../src/auth/verify';
import {
  mergeSettings,
  settingsFromClaims,
} from '../../src/auth/settings';
import { settingsStatement } from '../../src/db/settings';
import { isNullJwtComposite, signJwtToken } from '../../src/auth/sign';

const secret = 'a-test-secret-that-is-long-enough';
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function hs(payload: object, options: jwt.SignOptions = {}, key = secret): string {
  return jwt.sign(payload, key, { audience: 'postgraphile', ...options });
}

function expectFailure(result: ReturnType<typeof verifyToken>, status: number, pattern: RegExp) {
  assert.equal(result.ok, false, 'expected verification to fail');
  if (result.ok) return;
  assert.equal(result.status, status);
  assert.match(result.message, pattern);
}

test('Authorization header parsing follows v4', () => {
  assert.deepEqual(tokenFromAuthorizationHeader(undefined), { ok: true });
  assert.deepEqual(tokenFromAuthorizationHeader('Bearer abc.def.ghi'), { ok: true, token: 'abc.def.ghi' });
  assert.deepEqual(tokenFromAuthorizationHeader('  bEaReR   abc.def.ghi  '), { ok: true, token: 'abc.def.ghi' });
  for (const bad of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'abc.def.ghi', '', 'Bearer a"b']) {
    assert.deepEqual(
      tokenFromAuthorizationHeader(bad),
      { ok: false, status: 400, message: BAD_AUTHORIZATION_HEADER_MESSAGE },
      bad,
    );
  }
  const repeated = tokenFromAuthorizationHeader(['Bearer a.b.c', 'Bearer d.e.f']);
  assert.equal(repeated.ok, false);
});

test('valid HS256 token is accepted and its claims returned', () => {
  const token = hs({ role: 'forum_example_person', person_id: 1 });
  const result = verifyToken(token, { jwtSecret: secret });
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.equal(result.token, token);
  assert.equal(result.claims.role, 'forum_example_person');
  assert.equal(result.claims.person_id, 1);
  assert.equal(result.claims.aud, 'postgraphile');
});

test('expired token is 401, not-yet-valid is 403', () => {
  expectFailure(verifyToken(hs({ exp: now() - 10 }), { jwtSecret: secret }), 401, /jwt expired/);
  expectFailure(verifyToken(hs({ nbf: now() + 3600 }), { jwtSecret: secret }), 403, /jwt not active/);
});

test('a token verified before is taken from the server\'s list, its time claims checked again', () => {
  const verified = new Map();
  const opts = { jwtSecret: secret, verified };
  const token = hs({ role: 'forum_example_person', person_id: 1, exp: now() + 3600 });
  const first = verifyToken(token, opts);
  assert.equal(first.ok, true);
  assert.equal(verified.size, 1);
  assert.equal(verifyToken(token, opts), first, 'the second verification is the kept result');
  // kept while valid, then expired: verified afresh, refused as jsonwebtoken refuses it, and dropped
  const expired = hs({ role: 'a', exp: now() - 10 });
  verified.set(expired, { ok: true, token: expired, claims: { role: 'a', exp: now() - 10 } });
  expectFailure(verifyToken(expired, opts), 401, /jwt expired/);
  assert.equal(verified.has(expired), false);
  const early = hs({ role: 'a', nbf: now() + 3600 });
  verified.set(early, { ok: true, token: early, claims: { role: 'a', nbf: now() + 3600 } });
  expectFailure(verifyToken(early, opts), 403, /jwt not active/);
  assert.equal(verified.has(early), false);
  // refusals are never kept; nor is anything when maxAge is checked
  expectFailure(verifyToken(hs({ a: 1 }, {}, 'another-secret'), opts), 403, /invalid signature/);
  assert.equal(verified.size, 1);
  const aged = new Map();
  assert.equal(verifyToken(hs({ role: 'a' }), { jwtSecret: secret, verified: aged, jwtVerifyMaxAge: 60 }).ok, true);
  assert.equal(aged.size, 0);
});

test('wrong secret, malformed and tampered tokens are 403', () => {
  expectFailure(verifyToken(hs({ a: 1 }, {}, 'another-secret'), { jwtSecret: secret }), 403, /invalid signature/);
  expectFailure(verifyToken('not-a-jwt', { jwtSecret: secret }), 403, /jwt malformed/);
  expectFailure(verifyToken('aaa.bbb.ccc', { jwtSecret: secret }), 403, /invalid token|Unexpected|JSON/);
  const [h, , s] = hs({ role: 'a' }).split('.');
  const forged = `${h}.${b64url({ role: 'postgres', aud: 'postgraphile' })}.${s}`;
  expectFailure(verifyToken(forged, { jwtSecret: secret }), 403, /invalid signature/);
});

test('alg none is rejected, with or without a signature part, whatever the algorithm list', () => {
  const payload = b64url({ role: 'postgres', aud: 'postgraphile' });
  const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
  expectFailure(verifyToken(unsigned, { jwtSecret: secret }), 403, /none/);
  expectFailure(verifyToken(unsigned, { jwtSecret: secret, jwtVerifyAlgorithms: ['none', 'HS256'] }), 403, /none|signature/);
  const withJunk = `${b64url({ alg: 'None' })}.${payload}.c2ln`;
  expectFailure(verifyToken(withJunk, { jwtSecret: secret }), 403, /none/);
});

test('audience: default postgraphile, custom list, missing aud, and disabled check', () => {
  expectFailure(verifyToken(hs({ a: 1 }, { audience: 'someone-else' }), { jwtSecret: secret }), 403, /audience invalid/);
  // v4 verifies against ['postgraphile'] by default, so a token with no `aud` is refused.
  const noAud = jwt.sign({ role: 'x' }, secret);
  expectFailure(verifyToken(noAud, { jwtSecret: secret }), 403, /jwt audience invalid. expected: postgraphile/);
  const custom = hs({ a: 1 }, { audience: 'my-app' });
  assert.equal(verifyToken(custom, { jwtSecret: secret, jwtAudiences: ['other', 'my-app'] }).ok, true);
  expectFailure(verifyToken(hs({ a: 1 }), { jwtSecret: secret, jwtAudiences: ['my-app'] }), 403, /audience/);
  // An empty list is v4's `--jwt-verify-audience ''`: no audience check at all.
  assert.equal(verifyToken(noAud, { jwtSecret: secret, jwtAudiences: [] }).ok, true);
});

test('algorithm list restricts accepted algorithms', () => {
  const hs512 = hs({ a: 1 }, { algorithm: 'HS512' });
  assert.equal(verifyToken(hs512, { jwtSecret: secret }).ok, true);
  expectFailure(verifyToken(hs512, { jwtSecret: secret, jwtVerifyAlgorithms: ['HS256'] }), 403, /invalid algorithm/);
});

test('RS256 with a public key; HS256 signed with the public key text is refused', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const rs = jwt.sign({ role: 'r' }, privateKey, { algorithm: 'RS256', audience: 'postgraphile' });
  const good = verifyToken(rs, { jwtPublicKey: publicKey });
  assert.equal(good.ok, true);
  // The public key wins over a secret, as in v4.
  assert.equal(verifyToken(rs, { jwtPublicKey: publicKey, jwtSecret: secret }).ok, true);
  expectFailure(verifyToken(rs, { jwtSecret: secret }), 403, /invalid algorithm|symmetric/);

  const confused = jwt.sign({ role: 'postgres', aud: 'postgraphile' }, Buffer.from(publicKey), { algorithm: 'HS256' });
  expectFailure(verifyToken(confused, { jwtPublicKey: publicKey }), 403, /invalid algorithm/);
  expectFailure(
    verifyToken(confused, { jwtPublicKey: publicKey, jwtVerifyAlgorithms: ['HS256', 'RS256'] }),
    403,
    /symmetric key/,
  );
});

test('ES256 with an EC public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const es = jwt.sign({ role: 'r' }, privateKey, { algorithm: 'ES256', audience: 'postgraphile' });
  assert.equal(verifyToken(es, { jwtPublicKey: publicKey }).ok, true);
});

test('token without a configured key: 403 from verifyToken, ignored per request', () => {
  const token = hs({ role: 'postgres' });
  expectFailure(verifyToken(token, {}), 403, /Not allowed to provide a JWT token/);
  // v4's HTTP handler does not read the header at all without a key, even a malformed one.
  assert.deepEqual(authenticateRequest(`Bearer ${token}`, {}), { ok: true, claims: {} });
  assert.deepEqual(authenticateRequest('Basic xyz', {}), { ok: true, claims: {} });
  assert.deepEqual(authenticateRequest('Basic xyz', { jwtSecret: secret }), {
    ok: false,
    status: 400,
    message: BAD_AUTHORIZATION_HEADER_MESSAGE,
  });
  assert.deepEqual(authenticateRequest(undefined, { jwtSecret: secret }), { ok: true, claims: {} });
  const ok = authenticateRequest(`Bearer ${token}`, { jwtSecret: secret });
  assert.equal(ok.ok && ok.claims.role, 'postgres');
});

test('non-string role claim at the jwtRole path is 403', () => {
  expectFailure(verifyToken(hs({ role: 42 }), { jwtSecret: secret }), 403, /must be a string/);
  expectFailure(verifyToken(hs({ role: null }), { jwtSecret: secret }), 403, /must be a string/);
  const nested = hs({ role: 7, app: { pg: { role: 'nested_role' } } });
  assert.equal(verifyToken(nested, { jwtSecret: secret, jwtRole: ['app', 'pg', 'role'] }).ok, true);
});

test('settingsFromClaims: role path, default role, claim types', () => {
  const claims = {
    role: 'forum_example_person',
    person_id: 1,
    admin: false,
    ratio: 1.5,
    name: 'Ada',
    tags: ['a', 'b'],
    meta: { x: 1 },
    gone: null,
  };
  assert.deepEqual(settingsFromClaims(claims, { defaultRole: 'anon' }), [
    ['role', 'forum_example_person'],
    ['jwt.claims.role', 'forum_example_person'],
    ['jwt.claims.person_id', '1'],
    ['jwt.claims.admin', 'false'],
    ['jwt.claims.ratio', '1.5'],
    ['jwt.claims.name', 'Ada'],
    ['jwt.claims.tags', '["a","b"]'],
    ['jwt.claims.meta', '{"x":1}'],
  ]);
  assert.deepEqual(settingsFromClaims({ sub: 'u' }, { defaultRole: 'anon' }), [
    ['role', 'anon'],
    ['jwt.claims.sub', 'u'],
  ]);
  assert.deepEqual(settingsFromClaims({}, {}), []);
  assert.deepEqual(settingsFromClaims({ a: 1 }, {}), [['jwt.claims.a', '1']]);
  const nested = { https: { role: 'deep' } };
  assert.deepEqual(settingsFromClaims(nested, { jwtRole: ['https', 'role'], defaultRole: 'anon' })[0], ['role', 'deep']);
  assert.deepEqual(settingsFromClaims(nested, { jwtRole: ['missing', 'role'], defaultRole: 'anon' })[0], ['role', 'anon']);
  assert.throws(() => settingsFromClaims({ role: 5 }, {}), /must be a string/);
});

test('mergeSettings follows v4 precedence', () => {
  const base = settingsFromClaims({ role: 'jwt_role', uid: 3 }, { defaultRole: 'anon' });
  assert.deepEqual(
    mergeSettings(base, { role: 'hook_role', 'app.tenant': 7, 'jwt.claims.uid': 'hook', skip: null }),
    [
      ['app.tenant', '7'],
      ['role', 'hook_role'],
      ['jwt.claims.role', 'jwt_role'],
      ['jwt.claims.uid', '3'],
    ],
  );
  assert.deepEqual(mergeSettings([['jwt.claims.a', '1']], { role: 'r' }), [
    ['role', 'r'],
    ['jwt.claims.a', '1'],
  ]);
  assert.deepEqual(mergeSettings(base, undefined), base);
  assert.throws(() => mergeSettings(base, { bad: { nested: true } }), /string, number or boolean/);
});

test('settingsStatement binds names and values and keeps the last duplicate', () => {
  const evil = "x', true); drop table users; --";
  const stmt = settingsStatement([
    ['role', 'a'],
    ['jwt.claims.name', evil],
    ['role', 'b'],
  ]);
  assert.equal(stmt.text, 'select set_config($1, $2, true), set_config($3, $4, true)');
  assert.deepEqual(stmt.values, ['jwt.claims.name', evil, 'role', 'b']);
  assert.ok(!stmt.text.includes('drop'));
  assert.deepEqual(settingsStatement([]), { text: 'select', values: [] });
});

test('signJwtToken round-trips through verifyToken with v4 defaults', () => {
  const before = now();
  const token = signJwtToken({ role: 'forum_example_person', person_id: 2, nickname: null }, { jwtSecret: secret });
  const result = verifyToken(token, { jwtSecret: secret });
  assert.equal(result.ok, true);
  if (!result.ok) return;
  const c = result.claims;
  assert.equal(c.role, 'forum_example_person');
  assert.equal(c.person_id, 2);
  assert.equal(c.nickname, null, 'null attributes are signed as null claims');
  assert.equal(c.aud, 'postgraphile');
  assert.equal(c.iss, 'postgraphile');
  assert.equal(typeof c.iat, 'number');
  const exp = c.exp as number;
  assert.ok(exp >= before + 86400 && exp <= now() + 86400, `default expiry is one day, got ${exp - before}`);
  assert.equal(jwt.decode(token, { complete: true })?.header.alg, 'HS256');
});

test('signJwtToken honours exp (bigint as string), aud, iss and sign options', () => {
  const exp = now() + 120;
  const token = signJwtToken({ role: 'r', exp: String(exp), aud: 'mine', iss: 'me' }, { jwtSecret: secret });
  const claims = jwt.decode(token) as Record<string, unknown>;
  assert.equal(claims.exp, exp);
  assert.equal(claims.aud, 'mine');
  assert.equal(claims.iss, 'me');
  assert.equal(verifyToken(token, { jwtSecret: secret, jwtAudiences: ['mine'] }).ok, true);

  const expired = signJwtToken({ role: 'r', exp: now() - 5 }, { jwtSecret: secret });
  expectFailure(verifyToken(expired, { jwtSecret: secret }), 401, /jwt expired/);

  const custom = signJwtToken({ a: 1 }, { jwtSecret: secret, jwtSignOptions: { expiresIn: 60, audience: 'x', issuer: 'y' } });
  const cc = jwt.decode(custom) as Record<string, number | string>;
  assert.equal((cc.exp as number) - (cc.iat as number), 60);
  assert.equal(cc.aud, 'x');
  assert.equal(cc.iss, 'y');

  // v4 hands a null exp attribute to jsonwebtoken as undefined, which it refuses.
  assert.throws(() => signJwtToken({ role: 'r', exp: null }, { jwtSecret: secret }), /"exp" should be a number/);
  assert.throws(() => signJwtToken({ a: 1 }, {}), /without jwtSecret/);
});

test('signJwtToken with an RSA private key verifies with the public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const token = signJwtToken({ role: 'r' }, { jwtPrivateKey: privateKey });
  assert.equal(jwt.decode(token, { complete: true })?.header.alg, 'RS256');
  assert.equal(verifyToken(token, { jwtPublicKey: publicKey }).ok, true);
});

test('isNullJwtComposite mirrors v4 null mapping', () => {
  assert.equal(isNullJwtComposite(null), true);
  assert.equal(isNullJwtComposite({ role: null, exp: null }), true);
  assert.equal(isNullJwtComposite({ role: 'r', exp: null }), false);
});
