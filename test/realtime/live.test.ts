import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client as WsClient, type ExecutionResult } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import WebSocket from 'ws';
import { defaultOptions } from '../../src/options';
import { createServer, type RunningServer } from '../../src/server';
import { LIVE_CHANNEL } from '../../src/realtime/live-triggers';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';

const root = resolve(__dirname, '..', '..');
const SECRET = 'keyboard_kitten';
const dbName = uniqueName('live');
let adminDbUrl: string;
let server: RunningServer;
let wsUrl: string;
let admin: Client;
const clients: WsClient[] = [];

function client(authorization?: string): WsClient {
  const c = createClient({
    url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true,
    connectionParams: authorization ? { authorization } : undefined,
  });
  clients.push(c);
  return c;
}

function token(claims: Record<string, unknown>): string {
  return `Bearer ${jwt.sign({ aud: 'postgraphile', ...claims }, SECRET)}`;
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Result = ExecutionResult<Record<string, any>>;

function collect(c: WsClient, query: string, variables?: Record<string, unknown>) {
  const results: Result[] = [];
  let completed = false;
  let error: unknown;
  const dispose = c.subscribe({ query, variables }, {
    next: (r) => { results.push(r as Result); },
    error: (e) => { error = e; },
    complete: () => { completed = true; },
  });
  return {
    results, dispose,
    get completed() { return completed; },
    /** Waits (at most `ms`) for a result that satisfies `pred`, and returns it. */
    async until(what: string, pred: (r: Result) => boolean, ms = 1000): Promise<Result> {
      let hit: Result | undefined;
      await waitFor(what, () => {
        if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
        hit = results.find(pred);
        return hit !== undefined;
      }, ms);
      return hit!;
    },
  };
}

const headlines = (r: Result): string[] => r.data?.allPosts?.nodes?.map((n: { headline: string }) => n.headline) ?? [];
const POSTS = 'subscription { allPosts(orderBy: ID_DESC, first: 3) { nodes { id headline } } }';

describe('live queries', () => {
  before(async () => {
    adminDbUrl = await createDatabase(dbName, [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')]);
    admin = new Client({ connectionString: adminDbUrl });
    await admin.connect();
    // Notes only their author may read: row-level security that live queries must respect.
    await admin.query(`
      create table forum_example.secret_note (
        id serial primary key,
        person_id integer not null references forum_example.person(id),
        note text not null
      );
      alter table forum_example.secret_note enable row level security;
      create policy select_own on forum_example.secret_note for select
        using (person_id = nullif(current_setting('jwt.claims.person_id', true), '')::integer);
      grant select on forum_example.secret_note to forum_example_person;
      insert into forum_example.secret_note (person_id, note) values (1, 'one-a'), (2, 'two-a');
    `);
    server = await createServer({
      ...defaultOptions,
      connection: connectionAs(adminDbUrl, 'forum_example_postgraphile', 'xyz'),
      ownerConnection: adminDbUrl,
      schemas: ['forum_example'],
      defaultRole: 'forum_example_anonymous',
      jwtSecret: SECRET,
      jwtTokenIdentifier: 'forum_example.jwt_token',
      simpleSubscriptions: true,
      live: true,
      watch: true,
      port: 0,
      host: '127.0.0.1',
    }, { log: () => undefined });
    wsUrl = `${server.url.replace('http', 'ws')}/graphql`;
    await server.liveQueries!.ready();
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await admin?.end();
    await server?.close();
    await dropDatabase(dbName);
  });

  it('captures changes with triggers', () => {
    assert.equal(server.liveQueries!.debug.capture, 'triggers');
  });

  it('sends the result, then a new one after each insert, update and delete', async () => {
    const s = collect(client(), POSTS);
    const first = await s.until('initial result', (r) => headlines(r).length === 3);
    assert.equal(first.errors, undefined);
    const { rows: [{ id }] } = await admin.query(`insert into forum_example.post (author_id, headline) values (1, 'live insert') returning id`);
    await s.until('the insert', (r) => headlines(r)[0] === 'live insert');
    await admin.query(`update forum_example.post set headline = 'live update' where id = $1`, [id]);
    await s.until('the update', (r) => headlines(r)[0] === 'live update');
    const before = s.results.length;
    await admin.query('delete from forum_example.post where id = $1', [id]);
    const gone = await s.until('the delete', (r) => s.results.indexOf(r) >= before && !headlines(r).includes('live update'));
    assert.deepEqual(headlines(gone), headlines(first));
    // Unchanged results are not sent again: a no-op update produces nothing new.
    const count = s.results.length;
    await admin.query('update forum_example.post set headline = headline where id = $1', [first.data!.allPosts.nodes[0].id]);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(s.results.length, count);
    s.dispose();
  });

  it('runs with the subscriber\'s role and claims (row-level security)', async () => {
    const q = 'subscription { mine: allSecretNotes(orderBy: ID_ASC) { nodes { personId note } } }';
    const one = collect(client(token({ role: 'forum_example_person', person_id: 1 })), q);
    const two = collect(client(token({ role: 'forum_example_person', person_id: 2 })), q);
    const notes = (r: Result): string[] => r.data?.mine?.nodes?.map((n: { note: string }) => n.note) ?? [];
    await one.until('person 1 initial', (r) => notes(r).join() === 'one-a');
    await two.until('person 2 initial', (r) => notes(r).join() === 'two-a');
    await admin.query(`insert into forum_example.secret_note (person_id, note) values (2, 'two-b')`);
    await two.until('person 2 sees the new note', (r) => notes(r).join() === 'two-a,two-b');
    await admin.query(`insert into forum_example.secret_note (person_id, note) values (1, 'one-b')`);
    await one.until('person 1 sees the new note', (r) => notes(r).join() === 'one-a,one-b');
    for (const r of one.results) {
      assert.equal(r.errors, undefined);
      for (const n of r.data!.mine.nodes) assert.equal(n.personId, 1);
    }
    one.dispose();
    two.dispose();
  });

  it('runs identical live queries once for all their subscribers, and only for tables they read', async () => {
    const lq = server.liveQueries!.debug;
    await waitFor('no live queries', () => lq.groups === 0);
    const q = 'subscription { allPeople(orderBy: ID_ASC) { nodes { id firstName } } }';
    const auth = token({ role: 'forum_example_person', person_id: 1 });
    const a = collect(client(auth), q);
    const b = collect(client(auth), q);
    const name = (r: Result) => r.data?.allPeople?.nodes?.[0]?.firstName;
    await a.until('a initial', (r) => name(r) !== undefined);
    await b.until('b initial', (r) => name(r) !== undefined);
    assert.equal(lq.groups, 1);
    assert.equal(lq.subscribers, 2);
    assert.equal(lq.executions >= 1, true);
    const runs = lq.executions;
    await admin.query(`update forum_example.person set first_name = 'Shared' where id = 1`);
    await a.until('a update', (r) => name(r) === 'Shared');
    await b.until('b update', (r) => name(r) === 'Shared');
    assert.equal(lq.executions - runs, 1);
    // A post change cannot change this query's result: it does not run.
    await admin.query(`insert into forum_example.post (author_id, headline) values (2, 'unrelated')`);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(lq.executions - runs, 1);
    a.dispose();
    b.dispose();
  });

  it('releases the change channel when no live queries remain', async () => {
    const s = collect(client(), POSTS);
    await s.until('initial', (r) => headlines(r).length > 0);
    await waitFor('LISTEN', async () => (await server.hub!.debugListeningChannels()).includes(LIVE_CHANNEL));
    s.dispose();
    await waitFor('no live queries', () => server.liveQueries!.debug.groups === 0 && server.liveQueries!.debug.subscribers === 0);
    await waitFor('UNLISTEN', async () => !server.hub!.channels.has(LIVE_CHANNEL)
      && !(await server.hub!.debugListeningChannels()).includes(LIVE_CHANNEL));
  });

  it('keeps delivering after the notify connection is killed', async () => {
    const live = collect(client(), POSTS);
    const listen = collect(client(), 'subscription { listen(topic: "reconnect") { relatedNodeId } }');
    await live.until('initial', (r) => headlines(r).length > 0);
    await waitFor('both channels', () => server.hub!.channels.has(LIVE_CHANNEL) && server.hub!.channels.has('postgraphile:reconnect'));
    await server.hub!.ready();
    const killed = await admin.query<{ pid: number }>(
      `select pid, pg_terminate_backend(pid) from pg_stat_activity where application_name = 'forum-dev-notify' and datname = current_database()`,
    );
    assert.equal(killed.rowCount, 1);
    await waitFor('a new notify connection', async () => (await admin.query(
      `select 1 from pg_stat_activity where application_name = 'forum-dev-notify' and datname = current_database() and pid <> $1`,
      [killed.rows[0].pid],
    )).rowCount === 1);
    await waitFor('re-LISTEN', async () => {
      // The dying connection may fail this very query: that is the point of the test.
      const chs = await server.hub!.debugListeningChannels().catch(() => [] as string[]);
      return chs.includes(LIVE_CHANNEL) && chs.includes('postgraphile:reconnect');
    });
    await admin.query(`insert into forum_example.post (author_id, headline) values (1, 'after reconnect')`);
    await live.until('live update after reconnect', (r) => headlines(r)[0] === 'after reconnect');
    await admin.query(`select pg_notify('postgraphile:reconnect', '{"__node__": ["posts", 1]}')`);
    const r = await listen.until('listen event after reconnect', (x) => x.data?.listen?.relatedNodeId != null);
    assert.equal(r.data!.listen.relatedNodeId, Buffer.from('["posts",1]').toString('base64'));
    live.dispose();
    listen.dispose();
  });

  it('ends subscriptions whose fields a schema reload removed, and keeps the others', async () => {
    const bodies = collect(client(), 'subscription { allPosts(first: 1) { nodes { body } } }');
    const heads = collect(client(), POSTS);
    const listen = collect(client(), 'subscription { listen(topic: "reload") { query { allPosts(first: 1) { nodes { body } } } } }');
    await bodies.until('initial', (r) => Array.isArray(r.data?.allPosts?.nodes));
    await heads.until('initial', (r) => headlines(r).length > 0);
    await waitFor('listening', () => server.hub!.channels.has('postgraphile:reload'));
    const generation = server.live.current().generation;
    await admin.query('alter table forum_example.post drop column body');
    const err = await bodies.until('the schema error', (r) => r.errors !== undefined, 10_000);
    assert.match(err.errors![0].message, /^The schema changed and this subscription's fields no longer exist: Cannot query field "body"/);
    await waitFor('completion', () => bodies.completed);
    const lerr = await listen.until('the listen schema error', (r) => r.errors !== undefined);
    assert.match(lerr.errors![0].message, /Cannot query field "body"/);
    await waitFor('listen completion', () => listen.completed);
    assert.ok(server.live.current().generation > generation);
    assert.equal(heads.completed, false);
    await admin.query(`insert into forum_example.post (author_id, headline) values (1, 'after reload')`);
    await heads.until('update after reload', (r) => headlines(r)[0] === 'after reload');

    // A table created while running gets change capture too.
    const g = server.live.current().generation;
    await admin.query(`create table forum_example.fresh (id serial primary key, label text);
      grant select on forum_example.fresh to forum_example_anonymous`);
    await waitFor('reload', () => server.live.current().generation > g, 10_000);
    await server.liveQueries!.ready();
    const fresh = collect(client(), 'subscription { allFreshes { nodes { label } } }');
    await fresh.until('initial', (r) => Array.isArray(r.data?.allFreshes?.nodes));
    await admin.query(`insert into forum_example.fresh (label) values ('new')`);
    await fresh.until('insert into the new table', (r) => r.data?.allFreshes?.nodes?.[0]?.label === 'new');
    heads.dispose();
    fresh.dispose();
  });

  it('polls when it may not install triggers', async () => {
    // The first server's trigger on post is removed, so only polling can see post changes here.
    await admin.query('drop trigger _forum_dev_live on forum_example.post');
    const apiUrl = connectionAs(adminDbUrl, 'forum_example_postgraphile', 'xyz');
    const polled = await createServer({
      ...defaultOptions, connection: apiUrl, ownerConnection: apiUrl, schemas: ['forum_example'],
      defaultRole: 'forum_example_anonymous', live: true, port: 0, host: '127.0.0.1',
    }, { log: () => undefined });
    try {
      await polled.liveQueries!.ready();
      assert.equal(polled.liveQueries!.debug.capture, 'poll');
      const c = createClient({ url: `${polled.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(c);
      const s = collect(c, POSTS);
      await s.until('initial', (r) => headlines(r).length > 0);
      await admin.query(`insert into forum_example.post (author_id, headline) values (1, 'polled')`);
      await s.until('the polled change', (r) => headlines(r)[0] === 'polled', 2500);
      const n = s.results.length;
      await new Promise((r) => setTimeout(r, 1300));
      assert.equal(s.results.length, n, 'an unchanged result is not sent again');
      s.dispose();
    } finally {
      await polled.close();
    }
  });
});
