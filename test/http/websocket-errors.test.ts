// Errors on graphql-ws operations reach the operation that caused them, as graphql-ws specifies
// (`next` with errors then `complete`, or `error`), and the socket and its other subscriptions
// live on. Spoken frame by frame over a real WebSocket to a real server and database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import WebSocket from 'ws';
import { createForumDb, startOurs, type ForumDb, type OurServer } from '../e2e/setup';

let db: ForumDb;
let ours: OurServer;
let notifier: Client;

before(async () => {
  db = await createForumDb('wserrors');
  // Room for a document deep enough to overflow the parser (the size limits would refuse it first).
  ours = await startOurs(db.url, { simpleSubscriptions: true, websocketOperations: 'all', bodySizeLimit: '1mb', maxDocumentLength: 0 });
  notifier = new Client({ connectionString: db.adminUrl });
  await notifier.connect();
});

after(async () => {
  await notifier?.end();
  await ours?.close();
  await db?.drop();
});

interface Frame {
  type: string;
  id?: string;
  payload?: any;
}

/** One graphql-transport-ws connection whose frames are kept, so each can be waited for. */
async function connect() {
  const ws = new WebSocket(ours.url.replace('http', 'ws'), 'graphql-transport-ws');
  const frames: Frame[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  ws.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const waitFor = async (what: string, pred: (f: Frame) => boolean): Promise<Frame> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const f = frames.find(pred);
      if (f) return f;
      if (closed) throw new Error(`socket closed (${closed.code} ${closed.reason}) waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(frames)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  ws.send(JSON.stringify({ type: 'connection_init' }));
  await waitFor('connection_ack', (f) => f.type === 'connection_ack');
  return {
    frames, waitFor,
    get closed() { return closed; },
    subscribe: (id: string, query: string) => ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } })),
    /** The frames of one operation once it has ended (complete or error). */
    async outcome(id: string): Promise<Frame[]> {
      await waitFor(`the end of ${id}`, (f) => f.id === id && (f.type === 'complete' || f.type === 'error'));
      return frames.filter((f) => f.id === id);
    },
    close: () => ws.close(),
  };
}

test('operation errors are delivered to their operation and the socket and its subscriptions live on', async () => {
  const c = await connect();
  try {
    c.subscribe('listen', 'subscription { listen(topic: "survivor", initialEvent: true) { relatedNodeId } }');
    await c.waitFor('the initial event', (f) => f.id === 'listen' && f.type === 'next');

    // A query whose result has an error: `next` with the error and its data, then `complete`.
    c.subscribe('cursor', '{ allPosts(after: "!!!") { nodes { id } } postById(id: 1) { id } }');
    const cursor = await c.outcome('cursor');
    assert.deepEqual(cursor.map((f) => f.type), ['next', 'complete']);
    assert.match(cursor[0].payload.errors[0].message, /cursor/i);
    assert.deepEqual(cursor[0].payload.errors[0].path, ['allPosts']);
    assert.deepEqual(cursor[0].payload.data, { allPosts: null, postById: { id: 1 } });

    // A mutation refused by the database (anonymous may not update people).
    c.subscribe('mutation', 'mutation { updatePersonById(input: { id: 1, personPatch: { firstName: "X" } }) { person { id } } }');
    const mutation = await c.outcome('mutation');
    assert.deepEqual(mutation.map((f) => f.type), ['next', 'complete']);
    assert.match(mutation[0].payload.errors[0].message, /permission denied/);
    assert.deepEqual(mutation[0].payload.data, { updatePersonById: null });

    // A document nested past what the parser can take: an `error` frame, not a closed socket.
    const depth = 5000;
    c.subscribe('deep', `{ ${'allPosts { nodes { '.repeat(depth)}id${' } }'.repeat(depth)} }`);
    const deep = await c.outcome('deep');
    assert.deepEqual(deep.map((f) => f.type), ['error']);
    assert.match(deep[0].payload[0].message, /nested too deeply/);

    // Validation errors too.
    c.subscribe('invalid', '{ noSuchField }');
    assert.deepEqual((await c.outcome('invalid')).map((f) => f.type), ['error']);

    // The subscription opened first still receives events; the socket still runs queries.
    await notifier.query(`select pg_notify('postgraphile:survivor', '{"__node__": ["posts", 1]}')`);
    await c.waitFor('the event after the errors', (f) => f.id === 'listen' && f.type === 'next' && f.payload.data.listen.relatedNodeId !== null);
    c.subscribe('fine', '{ postById(id: 2) { id } }');
    const fine = await c.outcome('fine');
    assert.deepEqual(fine[0].payload, { data: { postById: { id: 2 } } });
    assert.equal(c.closed, undefined);
  } finally {
    c.close();
  }
});
