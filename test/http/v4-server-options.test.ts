// v4's server flags, parsed by our CLI from the very argv v4 is started with, and answered as v4
// answers: the --jwt-verify-* family, --enable-query-batching, --websocket-operations all and
// --timeout. One v4 and one of ours serve every comparison.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { parseArgs } from '../../src/cli/parse';
import { findLong, v4FlagRefusal } from '../../src/cli/flags';
import { createServer, type RunningServer } from '../../src/server';
import { ONLY_SUBSCRIPTIONS } from '../../src/http/websocket';
import { BATCHING_OFF } from '../../src/http/batch';
import { startV4, type V4Server } from '../helpers/v4';
import { createForumDb, forumV4Flags, JWT_SECRET, post, type ForumDb } from '../e2e/setup';
import { wsRun } from '../helpers/ws';

const serverFlags = [
  '--enable-query-batching', '--subscriptions', '--websocket-operations', 'all',
  '--jwt-verify-issuer', 'good-iss,other-iss', '--jwt-verify-subject', 'good-sub', '--jwt-verify-clock-tolerance', '3600',
  '--timeout', '60000', '--body-size-limit', '1MB',
];

let db: ForumDb;
let v4: V4Server;
let ours: RunningServer;
let oursUrl: string;
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'server-options-'));

/** Our server from a v4 argv, as the CLI would parse it. */
async function fromArgv(argv: string[]): Promise<RunningServer> {
  const { options } = parseArgs([...forumV4Flags, '--schema', 'forum_example', ...argv], {}, cwd);
  return createServer({ ...options, connection: db.url, port: 0, host: '127.0.0.1', disableQueryLog: true });
}

before(async () => {
  db = await createForumDb('server_options');
  [v4, ours] = await Promise.all([
    startV4({ connection: db.url, schemas: ['forum_example'], flags: [...forumV4Flags, ...serverFlags] }),
    fromArgv(serverFlags),
  ]);
  oursUrl = `${ours.url}/graphql`;
});

after(async () => {
  await v4?.stop();
  await ours?.close();
  await db?.drop();
  fs.rmSync(cwd, { recursive: true, force: true });
});

const token = (claims: Record<string, unknown>) => jwt.sign(
  { aud: 'postgraphile', role: 'forum_example_person', person_id: 1, ...claims }, JWT_SECRET, { noTimestamp: true },
);

test('--jwt-verify-*: accepted and refused tokens get v4\'s status and message', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, string, number]> = [
    ['issuer and subject as required', token({ iss: 'good-iss', sub: 'good-sub' }), 200],
    ['the second issuer', token({ iss: 'other-iss', sub: 'good-sub' }), 200],
    ['a wrong issuer', token({ iss: 'evil', sub: 'good-sub' }), 403],
    ['no issuer', token({ sub: 'good-sub' }), 403],
    ['a wrong subject', token({ iss: 'good-iss', sub: 'other' }), 403],
    ['expired within the clock tolerance', token({ iss: 'good-iss', sub: 'good-sub', exp: now - 60 }), 200],
    ['expired long ago', token({ iss: 'good-iss', sub: 'good-sub', exp: 1000 }), 401],
    ['not before 2100', token({ iss: 'good-iss', sub: 'good-sub', nbf: 4102444800 }), 403],
  ];
  const q = '{ currentPerson { id } }';
  for (const [what, t, status] of cases) {
    const headers = { authorization: `Bearer ${t}` };
    const [mine, theirs] = await Promise.all([
      post(oursUrl, JSON.stringify({ query: q }), headers), v4.graphql(q, undefined, headers),
    ]);
    assert.equal(mine.status, status, `${what}: ${JSON.stringify(mine.body)}`);
    assert.deepEqual(mine, theirs, what);
    if (status === 200) assert.deepEqual(mine.body, { data: { currentPerson: { id: 1 } } }, what);
  }
});

test('--enable-query-batching: an array of operations is answered by an array, as v4', async () => {
  const good = { authorization: `Bearer ${token({ iss: 'good-iss', sub: 'good-sub' })}` };
  const batch = JSON.stringify([
    { query: '{ allPeople(first: 2, orderBy: ID_ASC) { nodes { id fullName } } }' },
    { query: '{ nope }' },
    { query: 'query($id: Int!) { personById(id: $id) { id } }', variables: { id: 2 } },
    { query: 'query($id: Int!) { personById(id: $id) { id } }' },
    {},
    { query: '{ currentPerson { id } }' },
  ]);
  for (const headers of [good, { authorization: `Bearer ${token({ iss: 'evil' })}` }, {}]) {
    const [mine, theirs] = await Promise.all([post(oursUrl, batch, headers), post(v4.url, batch, headers)]);
    assert.equal(mine.status, 200);
    assert.ok(Array.isArray(mine.body) && mine.body.length === 6, JSON.stringify(mine.body));
    assert.deepEqual(mine, theirs, JSON.stringify(headers));
  }
  // an empty batch is an empty answer
  assert.deepEqual(await post(oursUrl, '[]'), await post(v4.url, '[]'));
});

test('a batch passes each operation\'s limits, and the batch as a whole is bounded', async () => {
  const [overPage] = (await post(oursUrl, JSON.stringify([{ query: '{ allPeople(first: 100001) { totalCount } }' }]))).body;
  assert.match(overPage.errors[0].message, /largest page of 100000 rows/);
  const many = await post(oursUrl, JSON.stringify(Array.from({ length: 501 }, () => ({ query: '{ __typename }' }))));
  assert.equal(many.status, 400);
  assert.match(many.body.errors[0].message, /501 operations, over the limit of 500 .*--max-root-fields/);
  const long = `{ __typename } # ${'x'.repeat(60_000)}`;
  const tooLong = await post(oursUrl, JSON.stringify([{ query: long }, { query: long }]));
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body.errors[0].message, /together, over the limit of 100000.*--max-document-length/);
});

test('--websocket-operations all: queries and mutations over graphql-ws answer as v4\'s', async () => {
  for (const q of [
    '{ allPeople(first: 2, orderBy: ID_ASC) { nodes { id } } }',
    'mutation { updatePersonById(input: { id: 99999, personPatch: { firstName: "x" } }) { clientMutationId } }',
  ]) {
    const [mine, theirs] = await Promise.all([wsRun(oursUrl, q), wsRun(v4.url, q)]);
    assert.deepEqual(mine, theirs, q);
  }
  assert.deepEqual(await wsRun(oursUrl, '{ personById(id: 1) { id } }'), { data: { personById: { id: 1 } } });
});

test('by default only subscriptions go over the socket; --websockets none turns it off', async () => {
  const subsOnly = await fromArgv(['--simple-subscriptions']);
  const none = await fromArgv(['--simple-subscriptions', '--websockets', 'none']);
  try {
    const refused = await wsRun(`${subsOnly.url}/graphql`, '{ __typename }') as { error: Array<{ message: string }> };
    assert.equal(refused.error[0].message, ONLY_SUBSCRIPTIONS);
    const off = await wsRun(`${none.url}/graphql`, '{ __typename }') as { error: unknown };
    assert.ok(off.error, 'no WebSocket server answers');
    assert.equal(none.hub, undefined, 'nothing LISTENs for sockets that cannot connect');
    // HTTP is unchanged, and without batching an array is refused as v4 refuses it
    const array = await post(`${none.url}/graphql`, '[{"query":"{ __typename }"}]');
    assert.deepEqual(array, { status: 501, body: { errors: [{ message: BATCHING_OFF }] } });
    const specMedia = await post(`${none.url}/graphql`, '[{"query":"{ __typename }"}]', { accept: 'application/graphql-response+json' });
    assert.equal(specMedia.status, 400);
  } finally {
    await subsOnly.close();
    await none.close();
  }
});

test('--timeout is the HTTP server\'s idle socket timeout, as v4 sets it', () => {
  assert.equal(ours.httpServer.timeout, 60_000);
});

test('every flag of v4\'s CLI is taken or refused by name', () => {
  const cli = fs.readFileSync(path.join(__dirname, '..', 'compat', 'node_modules', 'postgraphile', 'build', 'postgraphile', 'cli.js'), 'utf8');
  const longs = [...cli.matchAll(/\.option\('(?:-\w, )?--([\w-]+)/g)].map((m) => m[1]);
  assert.ok(longs.length > 50, `found ${longs.length} flags`);
  for (const name of longs) {
    assert.ok(findLong(name) || v4FlagRefusal(name)?.includes(`'--${name}'`), `--${name} is neither taken nor refused by name`);
  }
});

test('--websockets and --websocket-operations take v4\'s values and say what is wrong with others', () => {
  const parse = (argv: string[]) => parseArgs(argv, {}, cwd).options;
  assert.deepEqual(parse(['--websockets', 'v1']).websockets, ['v1']);
  assert.deepEqual(parse(['--websockets', 'none']).websockets, []);
  assert.deepEqual(parse(['--websockets', 'v0,v1']).websockets, ['v0', 'v1']);
  assert.throws(() => parse(['--websockets', 'v2']), /--websockets must be v0, v1 \(comma-separated\) or none, not 'v2'/);
  assert.throws(() => parse(['--websockets', 'v1,none']), /none cannot be combined with 'v1'/);
  assert.throws(() => parse(['--websocket-operations', 'queries']), /must be subscriptions or all, not 'queries'/);
  assert.throws(() => parse(['--jwt-verify-clock-tolerance', 'soon']), /must be a number of seconds/);
  const o = parse(['--jwt-verify-ignore-expiration', '--jwt-verify-ignore-not-before', '--jwt-verify-id', 'j1']);
  assert.deepEqual([o.jwtVerifyIgnoreExpiration, o.jwtVerifyIgnoreNotBefore, o.jwtVerifyId], [true, true, 'j1']);
});

/** A raw v0 (subscriptions-transport-ws) client: sends messages, collects the server's. */
async function v0Socket(url: string) {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-ws');
  const frames: Array<Record<string, any>> = [];
  let closed: number | undefined;
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  ws.on('close', (code) => { closed = code; });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const until = async (what: string, pred: () => boolean) => {
    for (const end = Date.now() + 5000; !pred();) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(frames)} closed ${closed}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    frames, until, protocol: ws.protocol, get closed() { return closed; },
    send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    /** The frames of operation `id` once it has ended. */
    ended: async (id: string) => {
      await until(id, () => frames.some((f) => f.id === id && (f.type === 'complete' || f.type === 'error')));
      return frames.filter((f) => f.id === id);
    },
    close: () => ws.close(),
  };
}

test('v0 (subscriptions-transport-ws), on by default with subscriptions as in v4: the same messages as v4\'s', async () => {
  const run = async (url: string) => {
    const c = await v0Socket(url);
    try {
      c.send({ type: 'connection_init', payload: {} });
      await c.until('ack', () => c.frames.length >= 2);
      const opening = c.frames.slice(0, 2);
      c.send({ id: '1', type: 'start', payload: { query: '{ allPeople(first: 2, orderBy: ID_ASC) { nodes { id } } }' } });
      const query = await c.ended('1');
      c.send({ id: '2', type: 'start', payload: { query: '{ nope }' } });
      const invalid = await c.ended('2');
      c.send({ id: '3', type: 'bogus' });
      const bogus = await c.ended('3');
      return { protocol: c.protocol, opening, query, invalid, bogus };
    } finally {
      c.close();
    }
  };
  const [mine, theirs] = await Promise.all([run(oursUrl), run(v4.url)]);
  assert.deepEqual(mine.opening, [{ type: 'connection_ack' }, { type: 'ka' }]);
  assert.deepEqual(mine.query[0], { type: 'data', id: '1', payload: { data: { allPeople: { nodes: [{ id: 1 }, { id: 2 }] } } } });
  assert.deepEqual(mine, theirs);
});

test('v0: subscriptions run and stop; queries without --websocket-operations all and refused connections get v0\'s messages', async () => {
  const server = await fromArgv(['--simple-subscriptions']);
  try {
    const c = await v0Socket(`${server.url}/graphql`);
    c.send({ type: 'connection_init' });
    c.send({ id: 's', type: 'start', payload: { query: 'subscription { listen(topic: "v0", initialEvent: true) { relatedNodeId } }' } });
    await c.until('the initial event', () => c.frames.some((f) => f.id === 's' && f.type === 'data'));
    assert.deepEqual(c.frames.find((f) => f.id === 's'), { type: 'data', id: 's', payload: { data: { listen: { relatedNodeId: null } } } });
    c.send({ id: 'q', type: 'start', payload: { query: '{ __typename }' } });
    assert.deepEqual(await c.ended('q'), [{ type: 'error', id: 'q', payload: { message: ONLY_SUBSCRIPTIONS } }]);
    c.send({ id: 's', type: 'stop' });
    assert.deepEqual((await c.ended('s')).at(-1), { type: 'complete', id: 's', payload: null });
    c.close();

    const refused = await v0Socket(`${server.url}/graphql`);
    refused.send({ type: 'connection_init', payload: { authorization: 'Bearer not.a.token' } });
    await refused.until('the close', () => refused.closed !== undefined);
    assert.deepEqual(refused.frames, [{ type: 'connection_error', payload: { message: 'Prohibited connection!' } }]);
    assert.equal(refused.closed, 1011);
  } finally {
    await server.close();
  }
});

test('v0: hostile frames get v0 errors, never crash the server or stall the socket', async () => {
  const server = await fromArgv(['--simple-subscriptions']);
  try {
    const c = await v0Socket(`${server.url}/graphql`);
    // not JSON, JSON that is not an object, wrong field types, unknown types, ids of every kind
    for (const frame of ['{', 'null', '5', '"text"', '[]', '[{"type":"start"}]', '{"type":null}', '{"type":"start","id":7}',
      '{"type":"start","id":"x","payload":null}', '{"type":"start","id":"y","payload":{"query":42}}',
      '{"type":"stop","id":{"a":1}}', '{"type":"connection_init","payload":"nope"}', `{"type":"${'x'.repeat(10000)}"}`]) {
      c.send(frame);
    }
    // the socket still works, in order, after all of that
    c.send({ id: 'ok', type: 'start', payload: { query: 'subscription { listen(topic: "hostile-v0", initialEvent: true) { relatedNodeId } }' } });
    await c.until('the subscription after the hostile frames', () => c.frames.some((f) => f.id === 'ok' && f.type === 'data'));
    assert.equal(c.closed, undefined);
    for (const id of ['x', 'y']) assert.equal((await c.ended(id)).at(-1)?.type, 'error', `operation ${id} fails with a v0 error`);
    c.close();
    // and the server answers a new client
    const again = await v0Socket(`${server.url}/graphql`);
    again.send({ type: 'connection_init' });
    await again.until('ack', () => again.frames.some((f) => f.type === 'connection_ack'));
    again.close();
  } finally {
    await server.close();
  }
});

test('.postgraphilerc.js jwtVerifyOptions (v4\'s only way to give them to its CLI), never mixed with --jwt-verify-*', () => {
  const rcDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-jwt-'));
  try {
    fs.writeFileSync(path.join(rcDir, '.postgraphilerc.js'), "module.exports = { options: { jwtVerifyOptions: { issuer: ['a', 'b'], subject: 's', audience: [] } } };\n");
    const o = parseArgs([], {}, rcDir).options;
    assert.deepEqual([o.jwtVerifyIssuer, o.jwtVerifySubject, o.jwtAudiences], [['a', 'b'], 's', []]);
    assert.throws(() => parseArgs(['--jwt-verify-id', 'x'], {}, rcDir), /You may not mix `jwtVerifyOptions` \(.postgraphilerc.js\) with --jwt-verify-id/);
    assert.throws(() => parseArgs(['-A', 'x'], {}, rcDir), /either 'jwtAudiences' or 'jwtVerifyOptions.audience'/);
  } finally {
    fs.rmSync(rcDir, { recursive: true, force: true });
  }
});
