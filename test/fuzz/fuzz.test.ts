// A short, fixed-seed run of the schema fuzzer (test/fuzz/fuzz.ts runs the long one): nothing it
// sends may crash the server, get a 5xx, leave a rejection unhandled or close a socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createForumDb, startOurs, type ForumDb, type OurServer } from '../e2e/setup';
import { createGenerator, prng } from './generate';
import { buildSchema } from 'graphql';
import { runFuzz } from './run-fuzz';

const SEED = 20261130;
const COUNT = 300;

let db: ForumDb;
let ours: OurServer;

before(async () => {
  db = await createForumDb('fuzz');
  ours = await startOurs(db.url, { simpleSubscriptions: true, websocketOperations: 'all' });
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

test('the generator is reproducible from its seed', () => {
  const schema = buildSchema('type Query { a(x: Int, y: [String!]): Int b: Query }');
  const run = (seed: number) => {
    const next = createGenerator(schema, seed);
    return Array.from({ length: 50 }, () => next());
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
  assert.notEqual(prng(1)(), prng(2)());
});

test(`${COUNT} generated documents over HTTP (seed ${SEED})`, async () => {
  const counts = await runFuzz({ url: ours.url, seed: SEED, count: COUNT, transports: ['http'] });
  assert.equal(counts.documents, COUNT);
  // every kind of document was generated
  assert.deepEqual(Object.keys(counts.byKind).sort(), ['fragments', 'garbage', 'mutated', 'mutation', 'valid', 'variables', 'wrong-args']);
  const { data, errors, limited, ...rest } = counts.http;
  assert.deepEqual({ ...rest, crashes: counts.crashes, unhandledRejections: counts.unhandledRejections, examples: counts.examples }, {
    sent: COUNT, status5xx: 0, status5xxWithoutErrors: 0, notJson: 0, unanswered: 0, crashes: 0, unhandledRejections: 0, examples: [],
  });
  // the documents reach execution, not only the parser: many answer with data
  assert.ok(data > COUNT / 5, `only ${data} answered with data (${errors} errors, ${limited} over a limit)`);
});

test(`${COUNT} generated documents over WebSocket (seed ${SEED})`, async () => {
  const counts = await runFuzz({ url: ours.url, seed: SEED, count: COUNT, transports: ['ws'] });
  assert.ok(counts.ws.sent > COUNT * 0.9);
  assert.deepEqual({ ...counts.ws, sent: 0, crashes: counts.crashes, unhandledRejections: counts.unhandledRejections, examples: counts.examples }, {
    sent: 0, closesByOperations: 0, unanswered: 0, crashes: 0, unhandledRejections: 0, examples: [],
  });
});
