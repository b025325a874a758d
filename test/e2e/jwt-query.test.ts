// A jwt_token composite returned by a *query* (not only a mutation) is signed too, as v4 signs it
// wherever the type appears; a null composite gives null.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { startV4, type V4Server } from '../helpers/v4';
import { createForumDb, forumV4Flags, JWT_SECRET, startOurs, type ForumDb, type OurServer } from './setup';

let db: ForumDb;
let ours: OurServer;
let v4: V4Server;

before(async () => {
  db = await createForumDb('jwt_query');
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query(`
    create function forum_example.token_for(person_id integer) returns forum_example.jwt_token
      language sql stable as $$
        select ('forum_example_person', p.id, 4102444800)::forum_example.jwt_token
        from forum_example.person p where p.id = token_for.person_id
      $$;
    grant execute on function forum_example.token_for(integer) to forum_example_anonymous;`);
  await admin.end();
  ours = await startOurs(db.url);
  v4 = await startV4({ connection: db.url, schemas: ['forum_example'], flags: forumV4Flags });
});

after(async () => {
  await v4?.stop();
  await ours?.close();
  await db?.drop();
});

test('a query returning jwt_token gets a signed token with the same claims as v4', async () => {
  const q = '{ a: tokenFor(personId: 2) b: tokenFor(personId: 999) }';
  const [r, e] = await Promise.all([ours.graphql(q), v4.graphql(q)]);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data.b, null);
  assert.equal(e.body.data.b, null);
  const claims = [r, e].map((x) => jwt.verify(x.body.data.a, JWT_SECRET, { audience: 'postgraphile' }) as Record<string, unknown>);
  const { iat: _a, ...mine } = claims[0];
  const { iat: _b, ...theirs } = claims[1];
  assert.deepEqual(mine, theirs);
  assert.equal(mine.person_id, 2);
  assert.equal(mine.exp, 4102444800);
});
