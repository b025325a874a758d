// The watch-mode dev-token route against real servers on a real forum database: who may mint
// (loopback, this server's Host and Origin, no CORS), for which roles, for how long, and the
// servers that refuse what it signed (no --watch) over HTTP and WebSocket. GraphiQL's identity
// panel is driven in a real browser against the real route in test/http/graphiql.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import WebSocket from 'ws';
import { uniqueName } from '../helpers/db';
import { createForumDb, startOurs, JWT_SECRET, type ForumDb, type OurServer } from '../e2e/setup';
import { DEV_TOKEN_LIFETIME, devTokenState, isLoopbackHost } from '../../src/http/dev-token';
import { defaultOptions } from '../../src/options';

let db: ForumDb;
let watch: OurServer;
let port: number;
const outsider = uniqueName('devtoken_outsider');

before(async () => {
  db = await createForumDb('devtoken');
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query(`create role ${outsider}`);
  await admin.end();
  watch = await startOurs(db.url, { watch: true, ownerConnection: db.adminUrl, cors: true });
  port = Number(new URL(watch.server.url).port);
});

after(async () => {
  await watch?.close();
  await db?.drop();
  const admin = new Client({ connectionString: db.adminUrl.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  await admin.query(`drop role if exists ${outsider}`);
  await admin.end();
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** A raw request, so that Host and Origin can be anything a hostile page could make them. */
function request(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

const own = () => ({ host: `127.0.0.1:${port}`, 'content-type': 'application/json' });
const mint = (body: unknown, headers: Record<string, string> = {}) => request('POST', '/graphql/dev-token', { ...own(), ...headers }, body);

async function graphql(url: string, query: string, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('this server\'s own page gets a short-lived, marked token that works', async () => {
  const r = await mint({ role: 'forum_example_person', claims: { person_id: 1 } }, { origin: `http://127.0.0.1:${port}` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const claims = jwt.verify(r.body.token, JWT_SECRET) as Record<string, any>;
  assert.equal(claims.role, 'forum_example_person');
  assert.equal(claims.person_id, 1);
  assert.equal(claims.forum_dev_dev_token, true);
  assert.equal(claims.exp - claims.iat, DEV_TOKEN_LIFETIME);
  assert.equal(r.body.expiresAt, claims.exp);
  const me = await graphql(watch.url, '{ currentPerson { id } }', r.body.token);
  assert.deepEqual(me.body, { data: { currentPerson: { id: 1 } } });
  // localhost and [::1] in the Host header name this server as well.
  for (const host of [`localhost:${port}`, `LOCALHOST:${port}`]) {
    assert.equal((await mint({}, { host, origin: `http://${host.toLowerCase()}` })).status, 200, host);
  }
});

test('foreign Host or Origin headers are refused with a JSON reason (DNS rebinding, other pages)', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ host: `evil.example:${port}` }, /Host header 'evil\.example/],
    [{ host: 'evil.example' }, /Host header/],
    [{ host: `127.0.0.1:${port + 1}` }, /Host header/],
    [{ host: `127.0.0.1.evil.example:${port}` }, /Host header/],
    [{ origin: 'http://evil.example' }, /origin 'http:\/\/evil\.example'/],
    [{ origin: 'null' }, /origin 'null'/],
    [{ origin: `http://127.0.0.1:${port + 1}` }, /origin/],
    [{ origin: `https://127.0.0.1:${port}` }, /origin/],
    [{ 'sec-fetch-site': 'cross-site' }, /Sec-Fetch-Site/],
  ];
  for (const [headers, message] of cases) {
    const r = await mint({ role: 'forum_example_person', claims: { person_id: 2 } }, headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.match(r.body.error.message, message);
    assert.equal(r.body.token, undefined);
  }
  const plain = await mint('role=x', { 'content-type': 'text/plain' });
  assert.equal(plain.status, 415);
});

test('no CORS headers on the route even with --cors (the GraphQL route keeps them)', async () => {
  const pre = await request('OPTIONS', '/graphql/dev-token', {
    host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'access-control-request-method': 'POST',
  });
  assert.equal(pre.headers['access-control-allow-origin'], undefined);
  const post = await mint({}, { origin: `http://127.0.0.1:${port}` });
  assert.equal(post.status, 200);
  assert.equal(post.headers['access-control-allow-origin'], undefined);
  const graphqlRoute = await request('POST', '/graphql', own(), { query: '{ __typename }' });
  assert.equal(graphqlRoute.headers['access-control-allow-origin'], '*');
});

test('only roles the server\'s connection can become are signed', async () => {
  for (const role of [outsider, 'postgres', 'no_such_role_at_all']) {
    const r = await mint({ role });
    assert.equal(r.status, 403, role);
    assert.match(r.body.error.message, new RegExp(role));
  }
  // The same check applies to a role given in the claims.
  const viaClaims = await mint({ claims: { role: 'postgres' } });
  assert.equal(viaClaims.status, 403);
});

test('GET lists the roles the panel offers: those the connection may become that may use the API\'s schemas', async () => {
  const r = await request('GET', '/graphql/dev-token', { host: `127.0.0.1:${port}` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.headers['cache-control'], 'no-store');
  const roles = r.body.roles as string[];
  // (roles are the cluster's, shared with other tests: only this database's forum roles are known)
  const at = (name: string) => roles.indexOf(name);
  assert.ok(at('forum_example_anonymous') >= 0 && at('forum_example_anonymous') < at('forum_example_person'), roles.join());
  // the login role the server connects as comes after the roles JWTs usually name
  assert.ok(at('forum_example_postgraphile') > at('forum_example_person'), roles.join());
  for (const never of [outsider, 'postgres']) assert.ok(!roles.includes(never), never);
  assert.ok(!roles.some((name) => name.startsWith('pg_')), roles.join());
  // The same guard as for minting: another site cannot read the list.
  const foreign = await request('GET', '/graphql/dev-token', { host: `127.0.0.1:${port}`, origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.body.roles, undefined);
  const put = await request('PUT', '/graphql/dev-token', own(), {});
  assert.equal(put.status, 405);
  assert.equal(put.headers.allow, 'GET, POST');
});

test('a client cannot extend the lifetime', async () => {
  const far = await mint({ role: 'forum_example_person', claims: { exp: 99_999_999_999 } });
  assert.equal(far.status, 400);
  assert.match(far.body.error.message, /exp/);
  assert.equal((await mint({ claims: { exp: 'tomorrow' } })).status, 400);
  const iat = await mint({ claims: { iat: 99_999_999_999 } });
  assert.equal(iat.status, 200);
  const claims = jwt.decode(iat.body.token) as Record<string, number>;
  assert.equal(claims.exp - claims.iat, DEV_TOKEN_LIFETIME);
  const forged = await mint({ claims: { forum_dev_dev_token: false } });
  assert.equal((jwt.decode(forged.body.token) as Record<string, unknown>).forum_dev_dev_token, true);
});

test('a server without --watch refuses dev tokens over HTTP and WebSocket', async () => {
  const r = await mint({ role: 'forum_example_person', claims: { person_id: 1 } });
  const token = r.body.token as string;
  const plain = await startOurs(db.url, { subscriptions: true });
  try {
    const refused = await graphql(plain.url, '{ currentPerson { id } }', token);
    assert.equal(refused.status, 403);
    assert.match(refused.body.errors[0].message, /forum_dev_dev_token.*watch mode/);
    // An ordinary token of the same secret still works there.
    const ordinary = jwt.sign({ aud: 'postgraphile', role: 'forum_example_person', person_id: 1 }, JWT_SECRET);
    assert.deepEqual((await graphql(plain.url, '{ currentPerson { id } }', ordinary)).body, { data: { currentPerson: { id: 1 } } });

    const closed = await new Promise<number>((resolve) => {
      const c = createClient({
        url: plain.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true,
        connectionParams: { authorization: `Bearer ${token}` },
        on: { closed: (e) => resolve((e as { code: number }).code) },
      });
      c.subscribe({ query: '{ currentPerson { id } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });
    assert.equal(closed, 4403);
  } finally {
    await plain.close();
  }
});

test('only loopback binds serve the route unless explicitly exposed', () => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', 'localhost.example.com']) assert.equal(isLoopbackHost(host), false, host);
  const base = { ...defaultOptions, watch: true, jwtSecret: 's' };
  assert.deepEqual(devTokenState({ ...base, host: 'localhost' }), { on: true });
  const exposed = devTokenState({ ...base, host: '0.0.0.0' });
  assert.equal(exposed.on, false);
  assert.match(exposed.note!, /0\.0\.0\.0.*--dangerously-expose-dev-tokens/);
  assert.deepEqual(devTokenState({ ...base, host: '0.0.0.0', dangerouslyExposeDevTokens: true }), { on: true });
  assert.equal(devTokenState({ ...base, watch: false }).on, false);
});

test('a server on a host not known to be loopback serves no dev-token route unless exposed on purpose', async (t) => {
  // A name from /etc/hosts that points at 127.0.0.1 but is not `localhost`: forum-dev cannot
  // know it stays on this machine, and binding it keeps this test on loopback.
  const hosts = fs.existsSync('/etc/hosts') ? fs.readFileSync('/etc/hosts', 'utf8') : '';
  const name = /^127\.0\.0\.1\s+(.+)$/m.exec(hosts.split('\n').filter((l) => /^127\.0\.0\.1\s/.test(l) && !/\slocalhost(\s|$)/.test(l)).join('\n'))?.[1].split(/\s+/)[0];
  if (!name) {
    t.skip('no non-localhost name for 127.0.0.1 in /etc/hosts');
    return;
  }
  for (const [expose, status] of [[false, 404], [true, 200]] as const) {
    const s = await startOurs(db.url, { watch: true, ownerConnection: db.adminUrl, host: name, dangerouslyExposeDevTokens: expose });
    try {
      const p = new URL(s.server.url).port;
      const res = await fetch(`http://127.0.0.1:${p}/graphql/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, status, `expose=${expose}`);
      await res.body?.cancel();
    } finally {
      await s.close();
    }
  }
});
