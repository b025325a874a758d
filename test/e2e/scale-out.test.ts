// Scale out: two forum-dev instances on one database, sharing nothing but the database (each its
// own pool, LISTEN connection, watch and schema). Everything a user relies on across instances
// must hold: a DDL reloads both, a NOTIFY reaches `listen` subscribers on both, a JWT minted by
// one is accepted by the other, and live queries fire on both. Real graphql-ws clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client as WsClient, type ExecutionResult } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
import { createForumDb, JWT_SECRET, post, type ForumDb } from './setup';
import { defaultOptions } from '../../src/options';
import { createServer, type RunningServer } from '../../src/server';

type Result = ExecutionResult<Record<string, any>>;

let db: ForumDb;
let admin: Client;
const servers: RunningServer[] = [];
const sockets: WsClient[] = [];

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(): Promise<RunningServer> {
  return createServer({
    ...defaultOptions,
    connection: db.url,
    ownerConnection: db.adminUrl,
    schemas: ['forum_example'],
    defaultRole: 'forum_example_anonymous',
    jwtSecret: JWT_SECRET,
    jwtTokenIdentifier: 'forum_example.jwt_token',
    simpleSubscriptions: true,
    live: true,
    watch: true,
    maxPoolSize: 4,
    graphiql: false,
    port: 0,
    host: '127.0.0.1',
  }, { log: () => undefined });
}

const graphql = (s: RunningServer, query: string, headers?: Record<string, string>) =>
  post(`${s.url}/graphql`, JSON.stringify({ query }), headers);

/** Subscribes over a new graphql-ws connection to `s` and collects the results. */
function subscribe(s: RunningServer, query: string) {
  const socket = createClient({ url: `${s.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  sockets.push(socket);
  const results: Result[] = [];
  let error: unknown;
  socket.subscribe({ query }, { next: (r) => void results.push(r as Result), error: (e) => (error = e), complete: () => undefined });
  return {
    results,
    /** Waits for a result that satisfies `pred`. */
    async until(what: string, pred: (r: Result) => boolean): Promise<Result> {
      let hit: Result | undefined;
      await waitFor(what, () => {
        if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
        return (hit = results.find(pred)) !== undefined;
      });
      return hit!;
    },
  };
}

describe('two instances on one database', () => {
  before(async () => {
    db = await createForumDb('scale_out');
    admin = new Client({ connectionString: db.adminUrl });
    await admin.connect();
    // One after the other, as a rolling deploy starts them; both install (or find) the watch
    // and live-query triggers in the same database.
    servers.push(await start());
    servers.push(await start());
    for (const s of servers) await s.liveQueries!.ready();
  });
  after(async () => {
    for (const c of sockets) await c.dispose();
    await admin?.end();
    for (const s of servers) await s.close();
    await db?.drop();
  });

  it('are separate servers with separate pools of the size asked for', () => {
    assert.notEqual(servers[0].url, servers[1].url);
    assert.notEqual(servers[0].pool, servers[1].pool);
    for (const s of servers) assert.equal((s.pool as unknown as { options: { max: number } }).options.max, 4);
  });

  it('a DDL change reloads both', async () => {
    const query = '{ allPosts(first: 1, orderBy: ID_ASC) { nodes { headline mood } } }';
    for (const s of servers) {
      const r = await graphql(s, query);
      assert.match(r.body.errors?.[0]?.message, /Cannot query field "mood"/);
    }
    await admin.query(`alter table forum_example.post add column mood text default 'calm'`);
    for (const [i, s] of servers.entries()) {
      await waitFor(`instance ${i + 1} to serve the new column`, async () => {
        const r = await graphql(s, query);
        return r.body.data?.allPosts?.nodes?.[0]?.mood === 'calm';
      });
    }
  });

  it('a NOTIFY reaches listen subscribers on both', async () => {
    const subs = servers.map((s) => subscribe(s, 'subscription { listen(topic: "scale") { relatedNodeId relatedNode { ... on Post { headline } } } }'));
    for (const s of servers) {
      await waitFor('the LISTEN', () => s.hub!.channels.has('postgraphile:scale'));
      await s.hub!.ready();
    }
    const { rows: [{ id }] } = await admin.query(`select id from forum_example.post where headline = 'Row Level Security'`);
    // v4's node identifiers name the table
    const nodeId = Buffer.from(JSON.stringify(['posts', id])).toString('base64');
    await admin.query(`select pg_notify('postgraphile:scale', $1)`, [JSON.stringify({ __node__: ['posts', id] })]);
    for (const [i, sub] of subs.entries()) {
      const r = await sub.until(`the event on instance ${i + 1}`, () => true);
      assert.deepEqual(r, { data: { listen: { relatedNodeId: nodeId, relatedNode: { headline: 'Row Level Security' } } } });
    }
  });

  it('a JWT minted by one instance is accepted by the other', async () => {
    const login = 'mutation { authenticate(input: { email: "andrea.fox@example.com", password: "password" }) { jwtToken } }';
    for (const [from, to] of [[0, 1], [1, 0]]) {
      const minted = await graphql(servers[from], login);
      const token = minted.body.data.authenticate.jwtToken;
      assert.equal(typeof token, 'string');
      const me = await graphql(servers[to], '{ currentPerson { id fullName } }', { authorization: `Bearer ${token}` });
      assert.deepEqual(me.body, { data: { currentPerson: { id: 2, fullName: 'Andrea Fox' } } });
      // ...and it carries the role: the other instance lets this person post as themselves
      const created = await graphql(servers[to], `mutation { createPost(input: { post: { authorId: 2, headline: "from ${from + 1} on ${to + 1}" } }) { post { headline authorId } } }`,
        { authorization: `Bearer ${token}` });
      assert.deepEqual(created.body, { data: { createPost: { post: { headline: `from ${from + 1} on ${to + 1}`, authorId: 2 } } } });
    }
  });

  it('live queries fire on both', async () => {
    const latest = (r: Result) => r.data?.allPosts?.nodes?.[0]?.headline;
    const subs = servers.map((s) => subscribe(s, 'subscription { allPosts(orderBy: ID_DESC, first: 1) { nodes { headline } } }'));
    for (const [i, sub] of subs.entries()) await sub.until(`the first result on instance ${i + 1}`, (r) => latest(r) !== undefined);
    await admin.query(`insert into forum_example.post (author_id, headline) values (3, 'seen by both')`);
    for (const [i, sub] of subs.entries()) await sub.until(`the insert on instance ${i + 1}`, (r) => latest(r) === 'seen by both');
    // a write made through one instance reaches the live queries of both
    const login = await graphql(servers[1], 'mutation { authenticate(input: { email: "stephen.banks@example.com", password: "password" }) { jwtToken } }');
    const written = await graphql(servers[1], 'mutation { createPost(input: { post: { authorId: 3, headline: "through instance 2" } }) { post { id } } }',
      { authorization: `Bearer ${login.body.data.authenticate.jwtToken}` });
    assert.equal(written.body.errors, undefined);
    for (const [i, sub] of subs.entries()) await sub.until(`the mutation on instance ${i + 1}`, (r) => latest(r) === 'through instance 2');
  });
});
