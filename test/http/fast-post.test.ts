// Plain GraphQL POSTs are answered without express; every answer must be the one express gives
// for the same request. A chunked body (no Content-Length) always goes through express, so each
// request is sent both ways and the answers compared.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { sizeLimit } from '../../src/http/routes';
import { createForumDb, startOurs, type ForumDb, type OurServer } from '../e2e/setup';

let db: ForumDb;
let ours: OurServer;

before(async () => {
  db = await createForumDb('fast_post');
  ours = await startOurs(db.url, { bodySizeLimit: '2kb' });
});

after(async () => {
  await ours?.close();
  await db?.drop();
});

interface Answer { status: number; type: string | undefined; body: string }

function send(body: string, headers: Record<string, string>, chunked: boolean): Promise<Answer> {
  const url = new URL(ours.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: chunked ? { ...headers, 'transfer-encoding': 'chunked' } : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the fast path answers as express does', async () => {
  const json = { 'content-type': 'application/json' };
  const cases: Array<[string, string, Record<string, string>]> = [
    ['a query', '{"query": "{ allPosts(first: 2) { nodes { headline } } }"}', json],
    ['the spec media type', '{"query": "{ nope }"}', { 'content-type': 'application/graphql-response+json', accept: 'application/graphql-response+json' }],
    ['utf-8 charset', '{"query": "{ __typename }"}', { 'content-type': 'application/json; charset=UTF-8' }],
    ['another charset', '{"query": "{ __typename }"}', { 'content-type': 'application/json; charset=latin1' }],
    ['no body', '', json],
    ['a JSON string', '"query"', json],
    ['a JSON array', '[1]', json],
    ['null', 'null', json],
    ['truncated JSON', '{"query": "{ all', json],
    ['text/plain', '{ __typename }', { 'content-type': 'text/plain' }],
    ['over the limit', JSON.stringify({ query: `{ __typename } # ${'x'.repeat(3000)}` }), json],
  ];
  for (const [what, body, headers] of cases) {
    const [fast, viaExpress] = await Promise.all([send(body, headers, false), send(body, headers, true)]);
    assert.deepEqual(fast, viaExpress, what);
    assert.ok(fast.status === 200 || JSON.parse(fast.body).errors, `${what}: ${fast.body}`);
  }
  // the answers really differ between cases (the comparison is not of two identical errors)
  assert.equal((await send(cases[0][1], json, false)).status, 200);
  assert.equal((await send(cases[8][1], json, false)).status, 400);
});

test('body size limits are read as express reads them', () => {
  assert.equal(sizeLimit('100kB'), 102_400);
  assert.equal(sizeLimit('2kb'), 2048);
  assert.equal(sizeLimit('1.5mb'), 1_572_864);
  assert.equal(sizeLimit('512'), 512);
  assert.equal(sizeLimit('lots'), null);
});
