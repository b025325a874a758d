// `jwtPublicKey` end to end over HTTP: RS256 tokens from the matching private key are accepted;
// an HS256 token "signed" with the public key text (the classic algorithm-confusion attack), a
// token from another key pair, or one signed with a shared secret are refused before any SQL.
// (v4 takes `jwtPublicKey` only through its library options, not its CLI, so no v4 run here.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createSecretKey, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createForumDb, type ForumDb } from '../e2e/setup';
import { bearer, JWT_SECRET, startAuthServer, type AuthServer } from './support';

const pair = () => generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const keys = pair();
const otherKeys = pair();
const claims = { role: 'forum_example_person', person_id: 2, aud: 'postgraphile' };

let db: ForumDb;
let ours: AuthServer;

before(async () => {
  db = await createForumDb('auth_pubkey');
  ours = await startAuthServer(db.url, {
    jwtSecret: undefined, jwtTokenIdentifier: undefined, jwtPublicKey: keys.publicKey,
  });
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

const query = '{ currentPerson { id } }';

test('an RS256 token from the matching private key is accepted', async () => {
  const token = jwt.sign(claims, keys.privateKey, { algorithm: 'RS256' });
  const r = await ours.graphql(query, undefined, bearer(token));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { data: { currentPerson: { id: 2 } } });
  const anon = await ours.graphql(query);
  assert.deepEqual(anon.body, { data: { currentPerson: null } });
});

// jsonwebtoken refuses to sign HS256 with a PEM key, so build that token by hand.
function hs256WithKeyText(payload: object, keyText: string): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', keyText).update(head).digest('base64url')}`;
}

const refused: Array<[string, () => string]> = [
  ['HS256 signed with the public key text', () => hs256WithKeyText(claims, keys.publicKey)],
  ['RS256 from another key pair', () => jwt.sign(claims, otherKeys.privateKey, { algorithm: 'RS256' })],
  ['HS256 signed with a shared secret', () => jwt.sign(claims, JWT_SECRET)],
  ['RS256 from the right key with no aud', () => jwt.sign({ role: 'forum_example_person', person_id: 2 }, keys.privateKey, { algorithm: 'RS256' })],
];

for (const [kind, make] of refused) {
  test(`${kind}: 403, no SQL`, async () => {
    ours.sent.length = 0;
    const r = await ours.graphql(query, undefined, bearer(make()));
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.errors.length, 1);
    assert.equal(r.body.data, undefined);
    assert.deepEqual(ours.sent, []);
  });
}

test('the hand-built HS256 token is well formed: it verifies with the key text as an HMAC secret', () => {
  // Guards the test above: it is refused for its algorithm, not for being garbage.
  const token = hs256WithKeyText(claims, keys.publicKey);
  const decoded = jwt.verify(token, createSecretKey(Buffer.from(keys.publicKey)), { algorithms: ['HS256'] }) as Record<string, unknown>;
  assert.equal(decoded.person_id, 2);
});
