// The query log and anything else the process prints never contain passwords, emails or JWTs,
// whether they came inline in the GraphQL text, as variables, or in the Authorization header;
// the log does say what ran (operation type and name) and how long it took.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createForumDb, post, type ForumDb } from '../e2e/setup';
import { startServer, type RunningServer } from '../../src/server';
import { defaultOptions } from '../../src/options';
import { bearer, JWT_SECRET, startAuthServer, type AuthServer } from './support';

const PASSWORD = 'sup3r-secret-pw';
const EMAIL_INLINE = 'inline.person@secret-example.com';
const EMAIL_VARS = 'variables.person@secret-example.com';

let db: ForumDb;
let withHook: AuthServer;
let cli: RunningServer;
const logLines: string[] = [];
let printed = '';
const restore: Array<() => void> = [];
const tokens: string[] = [];

function capture(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  (stream as any).write = (chunk: unknown, ...rest: unknown[]) => {
    printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  restore.push(() => ((stream as any).write = write));
}

before(async () => {
  db = await createForumDb('auth_logs');
  capture(process.stdout);
  capture(process.stderr);
  withHook = await startAuthServer(db.url, {}, { log: (line) => logLines.push(line) });
  // The CLI's own server, which prints its query log with console.log.
  cli = await startServer({
    ...defaultOptions, connection: db.url, schemas: ['forum_example'], defaultRole: 'forum_example_anonymous',
    jwtSecret: JWT_SECRET, jwtTokenIdentifier: 'forum_example.jwt_token', port: 0, host: '127.0.0.1',
  });
});

after(async () => {
  for (const undo of restore) undo();
  await withHook?.close();
  await cli?.close();
  await db?.drop();
});

const registerInline = (email: string) => `mutation RegisterInline {
  registerPerson(input: { firstName: "In", lastName: "Line", email: "${email}", password: "${PASSWORD}" }) {
    person { id }
  }
}`;
const registerVars = `mutation RegisterWithVariables($email: String!, $password: String!) {
  registerPerson(input: { firstName: "Var", lastName: "Iables", email: $email, password: $password }) {
    person { id }
  }
}`;
const authenticate = `mutation Login($email: String!, $password: String!) {
  authenticate(input: { email: $email, password: $password }) { jwtToken }
}`;

async function scenario(url: string, suffix: string): Promise<void> {
  const graphql = (q: string, v?: Record<string, unknown>, h?: Record<string, string>) =>
    post(url, JSON.stringify({ query: q, variables: v }), h);
  const inline = `${suffix}.${EMAIL_INLINE}`;
  const vars = `${suffix}.${EMAIL_VARS}`;
  let r = await graphql(registerInline(inline));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.data.registerPerson.person.id);
  r = await graphql(registerVars, { email: vars, password: PASSWORD });
  assert.ok(r.body.data.registerPerson.person.id, JSON.stringify(r.body));
  // The same email again: a unique violation whose message names the email (in the response).
  r = await graphql(registerVars, { email: vars, password: PASSWORD });
  assert.ok(r.body.errors?.length, JSON.stringify(r.body));
  // Invalid GraphQL that still carries the password.
  r = await graphql(`mutation Broken { registerPerson(input: { password: "${PASSWORD}" `);
  assert.equal(r.status, 400);

  r = await graphql(authenticate, { email: inline, password: PASSWORD });
  const token: string = r.body.data.authenticate.jwtToken;
  assert.ok(token, JSON.stringify(r.body));
  tokens.push(token);
  r = await graphql(`query Me { currentPerson { id firstName } }`, undefined, bearer(token));
  assert.equal(r.body.data.currentPerson.firstName, 'In');
  // A rejected token is logged as rejected, without the token.
  r = await graphql(`query Me { currentPerson { id } }`, undefined, bearer(`${token.slice(0, -4)}AAAA`));
  assert.equal(r.status, 403);
}

test('the query log and the process output carry no password, email or JWT', async () => {
  await scenario(`${withHook.server.url}/graphql`, 'hook');
  await scenario(`${cli.url}/graphql`, 'cli');
  // let any buffered console output land
  await new Promise((r) => setImmediate(r));

  const everything = `${logLines.join('\n')}\n${printed}`;
  const secrets = [PASSWORD, EMAIL_INLINE, EMAIL_VARS, ...tokens, ...tokens.map((t) => t.split('.')[2])];
  for (const secret of secrets) {
    assert.equal(everything.includes(secret), false, `output contains ${secret}`);
  }
  assert.equal(everything.includes('secret-example'), false);
});

test('log lines name the operation type and name, with timing and outcome', () => {
  const timed = /^(query|mutation|subscription|request) \S+ \d+\.\d ms (ok|\d+ error\(s\))$/;
  for (const [lines, where] of [[logLines, 'hook'], [printed.split('\n'), 'stdout']] as const) {
    const ops = lines.filter((l) => timed.test(l));
    assert.ok(ops.some((l) => /^mutation RegisterInline .* ok$/.test(l)), `${where}: ${lines.join('\n')}`);
    assert.ok(ops.some((l) => /^mutation RegisterWithVariables .* ok$/.test(l)), where);
    assert.ok(ops.some((l) => /^mutation RegisterWithVariables .* 1 error\(s\)$/.test(l)), where);
    assert.ok(ops.some((l) => /^mutation Login .* ok$/.test(l)), where);
    assert.ok(ops.some((l) => /^query Me .* ok$/.test(l)), where);
    assert.ok(ops.some((l) => /^request \(anonymous\) .* 1 error\(s\)$/.test(l)), `${where}: the syntax error`);
    assert.ok(lines.some((l) => /^403 rejected token \(invalid signature\)$/.test(l)), where);
  }
  assert.ok(logLines.length >= 7, logLines.join('\n'));
});
