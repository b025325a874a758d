// A JWT type of the user's own: its claims from bigint and numeric attributes are signed as exact
// strings (v4 reads them as text; a token in a column or composite field is signed from its JSON value), its scalar is named after the type as v4 names it, and the
// schema is v4's. A composite merely named `jwt_token` beside it is a plain object.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import jwt from 'jsonwebtoken';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { exportV4Schema, startV4, type V4Server } from '../helpers/v4';
import { startOurs, type OurServer } from './setup';

const SECRET = 'claims_secret';
const schemaSql = `
create schema claims;
create type claims.token as (role text, big bigint, amount numeric, exp bigint, small integer, ratio float8, day date);
create type claims.jwt_token as (role text, person_id bigint);
create function claims.sign_in(big bigint) returns claims.token language sql volatile as $$
  select ('claims_user', big, 12345678901234567890.000000000001, 4102444800, 7, 0.5, date '2024-01-31')::claims.token
$$;
create function claims.current_token() returns claims.token language sql stable as $$
  select ('claims_user', 987654321098765432, 0.1, 4102444800, -1, null, null)::claims.token
$$;
create function claims.lookalike() returns claims.jwt_token language sql stable as $$
  select ('looks_like_a_token', 987654321098765432)::claims.jwt_token
$$;
create type claims.session as (token claims.token, label text);
create table claims.issued (id int primary key, token claims.token);
insert into claims.issued values (1, ('claims_user', 12, 2.5, 4102444800, 3, 0.25, null));
create function claims.open_session(big bigint) returns claims.session language sql volatile as $$
  select (('claims_user', big, 2.5, 4102444800, 7, 0.5, null)::claims.token, 'session')::claims.session
$$;
create function claims.make_lookalike() returns claims.jwt_token language sql volatile as $$
  select ('made', 9007199254740993)::claims.jwt_token
$$;
`;
const flags = ['--jwt-secret', SECRET, '--jwt-token-identifier', 'claims.token'];
const options = { schemas: ['claims'], defaultRole: undefined, jwtSecret: SECRET, jwtTokenIdentifier: 'claims.token' };

let db: string;
let url: string;
let ours: OurServer;
let v4: V4Server;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forum-dev-claims-'));
  try {
    writeFileSync(join(dir, 'claims.sql'), schemaSql);
    db = uniqueName('e2e_jwt_claims');
    url = await createDatabase(db, [join(dir, 'claims.sql')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  ours = await startOurs(url, options);
  v4 = await startV4({ connection: url, schemas: ['claims'], flags });
});

after(async () => {
  await v4?.stop();
  await ours?.close();
  if (db) await dropDatabase(db);
});

function claimsOf(token: unknown): Record<string, unknown> {
  assert.equal(typeof token, 'string', `not a token: ${JSON.stringify(token)}`);
  const { iat: _iat, ...rest } = jwt.verify(token as string, SECRET, { audience: 'postgraphile' }) as Record<string, unknown>;
  return rest;
}

test('the schema with a JWT type of its own is v4\'s', async () => {
  const expected = await exportV4Schema({ connection: url, schemas: ['claims'], flags });
  const diffs = compareSdl(expected, printSchema(ours.server.live.current().schema), { dbDescriptions: await loadDbComments(url, ['claims']) });
  assert.deepEqual(diffs, []);
  assert.match(expected, /^scalar Token$/m);
});

test('bigint and numeric claims are signed as exact strings, as v4 signs them', async () => {
  const q = `mutation { signIn(input: { big: "987654321098765432" }) { token } }`;
  const q2 = '{ currentToken }';
  const [m, e, r, f] = await Promise.all([ours.graphql(q), v4.graphql(q), ours.graphql(q2), v4.graphql(q2)]);
  const mine = claimsOf(m.body.data?.signIn?.token);
  assert.deepEqual(mine, claimsOf(e.body.data.signIn.token));
  assert.equal(mine.big, '987654321098765432');
  assert.equal(mine.amount, '12345678901234567890.000000000001');
  const current = claimsOf(r.body.data?.currentToken);
  assert.deepEqual(current, claimsOf(f.body.data.currentToken));
  assert.equal(current.big, '987654321098765432');
});

// v4 signs a token held in a column or in a composite's field from the value as JSON (numbers
// as numbers); only a function's own token reads them as text.
test('a token in a column or a composite field is signed from its JSON value, as v4 signs it', async () => {
  const q = `mutation { openSession(input: { big: "12" }) { session { token label } } }`;
  const q2 = '{ issuedById(id: 1) { token } }';
  const [m, e, r, f] = await Promise.all([ours.graphql(q), v4.graphql(q), ours.graphql(q2), v4.graphql(q2)]);
  const mine = claimsOf(m.body.data?.openSession?.session?.token);
  assert.deepEqual(mine, claimsOf(e.body.data.openSession.session.token));
  assert.equal(mine.big, 12);
  assert.equal(mine.amount, 2.5);
  const column = claimsOf(r.body.data?.issuedById?.token);
  assert.deepEqual(column, claimsOf(f.body.data.issuedById.token));
  assert.equal(column.amount, 2.5);
  // v4 types the column's inputs with the token scalar too, and takes no value for it
  const create = 'mutation { createIssued(input: { issued: { id: 2, token: "x" } }) { issued { id } } }';
  const [c, d] = await Promise.all([ours.graphql(create), v4.graphql(create)]);
  assert.ok(d.body.errors?.length && !d.body.data?.createIssued);
  assert.match(c.body.errors?.[0]?.message ?? '', /cannot be given as input/);
  assert.equal(c.body.data?.createIssued ?? null, null);
});

test('a composite named jwt_token that is not the JWT type is a plain object', async () => {
  const q = 'mutation { makeLookalike(input: {}) { jwtToken { role personId } } }';
  const q2 = '{ lookalike { role personId } }';
  for (const query of [q, q2]) {
    const [a, e] = await Promise.all([ours.graphql(query), v4.graphql(query)]);
    assert.deepEqual(a.body, e.body);
    assert.equal(a.body.errors, undefined);
  }
});
