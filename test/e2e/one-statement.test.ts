// Every query operation is one SQL statement, however deep and however many rows: the test
// counts what the server's pool really sends to PostgreSQL, apart from the transaction frame
// (the role/claims settings; begin, commit and rollback where a transaction is explicit).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { createForumDb, startOurs, type ForumDb, type OurServer } from './setup';

let db: ForumDb;
let ours: OurServer;
let token: string;
const sent: string[] = [];

before(async () => {
  db = await createForumDb('one_stmt');
  ours = await startOurs(db.url, {}, { onStatement: (text) => sent.push(text) });
  const r = await ours.graphql('mutation { authenticate(input: { email: "sara.powell@example.com", password: "password" }) { jwtToken } }');
  token = r.body.data.authenticate.jwtToken;
  assert.ok(token);
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

const deep = `{
  allPeople {
    nodes {
      fullName
      postsByAuthorId(orderBy: CREATED_AT_DESC) {
        totalCount
        nodes { headline summary personByAuthorId { fullName latestPost { headline } } }
      }
    }
  }
  searchPosts(search: "post") { totalCount nodes { id headline } }
  currentPerson { id fullName }
}`;

const frame = (text: string) => /^\s*(begin|commit|rollback)\s*$/i.test(text) || /set_config\(/i.test(text);

async function statementsFor(query: string): Promise<{ statements: string[]; body: any }> {
  sent.length = 0;
  const r = await ours.graphql(query, undefined, { authorization: `Bearer ${token}` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
  assert.ok(sent.some((t) => /set_config\(/i.test(t)), 'the counter sees the settings');
  return { statements: sent.filter((t) => !frame(t)), body: r.body };
}

test('a deep query with several root fields is one statement', async () => {
  const { statements, body } = await statementsFor(deep);
  assert.equal(statements.length, 1, statements.join('\n---\n'));
  assert.equal(body.data.currentPerson.fullName, 'Sara Powell');
  assert.equal(body.data.allPeople.nodes.length, 3);
});

test('the statement count does not grow with the number of rows', async () => {
  const before = await statementsFor(deep);
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    await admin.query(`insert into forum_example.post (author_id, headline, body)
      select 1 + i % 3, 'Extra post ' || i, 'Another post body ' || i from generate_series(1, 20) i`);
  } finally {
    await admin.end();
  }
  const afterInsert = await statementsFor(deep);
  const total = (b: any) => b.data.allPeople.nodes.reduce((n: number, p: any) => n + p.postsByAuthorId.nodes.length, 0);
  assert.equal(total(afterInsert.body), total(before.body) + 20);
  assert.equal(afterInsert.statements.length, before.statements.length);
  assert.equal(afterInsert.statements.length, 1);
});
