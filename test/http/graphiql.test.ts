// The GraphiQL page in a real browser against a real graphql-js server, a schema-change stream
// the test drives, and graphql-ws over a real WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { buildSchema, graphql, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
// graphql-ws ships `use/ws` only through package exports, which this TypeScript setup does not read.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/browser';
import { graphiqlRouter } from '../../src/http/graphiql';


const SDL_V1 = `
  enum PostsOrderBy { NATURAL CREATED_AT_DESC }
  enum PostTopic { DISCUSSION INSPIRATION HELP SHOWCASE }
  type Person { id: Int! fullName: String }
  type Post { id: Int! headline: String! topic: PostTopic personByAuthorId: Person }
  type PostsConnection { totalCount: Int! nodes: [Post]! }
  type Query {
    allPosts(first: Int, orderBy: [PostsOrderBy!]): PostsConnection
    whoami: String
  }
  type Subscription { ticks(upTo: Int!): Int! }
`;
// The "migration": a new column and a new root field.
const SDL_V2 = SDL_V1.replace('personByAuthorId: Person }', 'personByAuthorId: Person views: Int }').replace(
  'whoami: String',
  'whoami: String\n    postCount: Int',
);

const posts = [
  { id: 1, headline: 'Hello forum', topic: 'DISCUSSION', views: 10, personByAuthorId: { id: 1, fullName: 'Sara Smith' } },
  { id: 2, headline: 'Second post', topic: 'HELP', views: 3, personByAuthorId: { id: 2, fullName: 'Budd Deey' } },
];
const rootValue = {
  allPosts: ({ first }: { first?: number }) => ({ totalCount: posts.length, nodes: posts.slice(0, first ?? posts.length) }),
  whoami: (_args: unknown, ctx: { authorization?: string }) => ctx.authorization ?? 'anonymous',
  postCount: () => posts.length,
};

async function* ticks({ upTo }: { upTo: number }) {
  for (let i = 1; i <= upTo; i++) {
    await new Promise((r) => setTimeout(r, 30));
    yield { ticks: i };
  }
}

interface Fixture {
  url: string;
  setSchema(sdl: string): void;
  emit(id: number, data: unknown): void;
  seenAuthorization: Array<string | null>;
  wsConnectionParams: unknown[];
  close(): Promise<void>;
}

async function startServer(): Promise<Fixture> {
  let schema: GraphQLSchema = buildSchema(SDL_V1);
  const seenAuthorization: Array<string | null> = [];
  const wsConnectionParams: unknown[] = [];
  const streams = new Set<express.Response>();
  const app = express();
  app.use(
    graphiqlRouter({
      graphqlRoute: '/graphql',
      graphiqlRoute: '/graphiql',
      streamRoute: '/graphql/stream',
      watch: true,
      subscriptionsUrl: '/graphql',
      devTokens: true,
    }),
  );
  app.use(graphiqlRouter({ graphqlRoute: '/graphql', graphiqlRoute: '/plain', watch: false }));
  app.post('/graphql', express.json(), async (req, res) => {
    const authorization = req.get('authorization') ?? null;
    if (req.body.operationName !== 'IntrospectionQuery') seenAuthorization.push(authorization);
    res.json(
      await graphql({
        schema,
        source: req.body.query,
        variableValues: req.body.variables,
        operationName: req.body.operationName,
        rootValue,
        contextValue: { authorization },
      }),
    );
  });
  app.get('/graphql/stream', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('event: open\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  app.post('/graphql/dev-token', express.json(), (req, res) => {
    res.json({ token: `dev.${Buffer.from(JSON.stringify(req.body)).toString('base64url')}` });
  });

  const server = http.createServer(app);
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const wsCleanup = useServer(
    {
      schema: () => schema,
      roots: { subscription: { ticks } },
      onConnect: (ctx) => {
        wsConnectionParams.push(ctx.connectionParams);
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setSchema: (sdl) => {
      schema = buildSchema(sdl);
    },
    emit: (id, data) => {
      for (const s of streams) s.write(`event: change\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    seenAuthorization,
    wsConnectionParams,
    close: async () => {
      for (const s of streams) s.end();
      await wsCleanup.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const editorValue = (page: Page, selector: string) =>
  page.evaluate((sel) => (document.querySelector(sel) as any).CodeMirror.getValue() as string, selector);
async function setEditorValue(page: Page, selector: string, value: string) {
  await page.evaluate(([sel, v]) => (document.querySelector(sel) as any).CodeMirror.setValue(v), [selector, value] as const);
  // GraphiQL parses the editors after a short debounce; a person never types this fast.
  await page.waitForTimeout(300);
}
const forumDev = (page: Page) => page.evaluate(() => ({ ...(window as any).__forumDev }));

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESPONSE = '.graphiql-response .CodeMirror';
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

async function runAndWaitFor(page: Page, text: string) {
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    ([sel, t]) => ((document.querySelector(sel) as any)?.CodeMirror.getValue() as string).includes(t),
    [RESPONSE, text] as const,
  );
}

test('GraphiQL page: offline assets, queries, live schema, headers, identity, subscriptions', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  const fx = await startServer();
  const browser = await launchChromium(CHROMIUM);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.hostname !== '127.0.0.1') problems.push(`external: ${r.url()}`);
    });

    const res = await page.goto(`${fx.url}/graphiql`);
    assert.equal(res?.status(), 200);
    await page.waitForFunction(() => (window as any).__forumDev.schemaApplied >= 1 && (window as any).__forumDev.streamOpen);
    await page.waitForSelector(QUERY_EDITOR);
    await page.evaluate(() => ((window as any).__notReloaded = true));

    // The default forum query runs against the server.
    await runAndWaitFor(page, 'Hello forum');
    assert.match(await editorValue(page, RESPONSE), /"fullName": "Sara Smith"/);

    // Docs explorer on the Query type; the new field is not there yet.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.click('.graphiql-doc-explorer a:text-is("Query")');
    await page.waitForSelector('.graphiql-doc-explorer-content :text("whoami")');
    assert.equal(await page.locator('.graphiql-doc-explorer-content :text("postCount")').count(), 0);
    const queryBefore = await editorValue(page, QUERY_EDITOR);

    // A schema change arrives: docs update in place, query text and page stay.
    let before = await forumDev(page);
    fx.setSchema(SDL_V2);
    const change = { generation: 1, changes: ['+ Query.postCount', '+ Post.views'], ddl: 'ALTER TABLE forum_example.post' };
    fx.emit(1, change);
    await page.waitForSelector('.graphiql-doc-explorer-content :text("postCount")');
    const after = await forumDev(page);
    assert.equal(after.generation, 1);
    assert.deepEqual(after.lastChange, change);
    assert.equal(after.schemaFetches, before.schemaFetches + 1);
    assert.equal(await editorValue(page, QUERY_EDITOR), queryBefore);
    assert.equal(await page.evaluate(() => (window as any).__notReloaded), true);
    const toastText = await page.locator('.forum-dev-toast').last().innerText();
    assert.match(toastText, /Schema updated: \+ Query\.postCount, \+ Post\.views \(ALTER TABLE forum_example\.post\)/);
    await page.locator('.forum-dev-toast-close').last().click();
    assert.equal(await page.locator('.forum-dev-toast').count(), 0);

    // The same generation again is a duplicate: no second introspection.
    fx.emit(1, change);
    await page.waitForTimeout(400);
    assert.equal((await forumDev(page)).schemaFetches, after.schemaFetches);

    // A failed SQL file shows a banner that stays until the next good change.
    const error = { message: 'syntax error at or near "tabel"', file: 'db/current.sql', line: 3, position: 14 };
    fx.emit(2, { generation: 2, error });
    await page.waitForSelector('#forum-dev-banner:not([hidden])');
    assert.match(await page.locator('#forum-dev-banner').innerText(), /db\/current\.sql:3:14: syntax error at or near "tabel"/);
    await page.waitForTimeout(200);
    assert.equal(await page.locator('#forum-dev-banner').isVisible(), true);
    fx.emit(3, { generation: 3, changes: [], ddl: 'CREATE INDEX' });
    await page.waitForSelector('#forum-dev-banner', { state: 'hidden' });
    assert.equal((await forumDev(page)).generation, 3);

    // GraphiQL's re-fetch button reloads the schema through the page.
    before = await forumDev(page);
    await page.click('button[aria-label="Re-fetch GraphQL schema"]');
    await page.waitForFunction((n) => (window as any).__forumDev.schemaApplied > n, before.schemaApplied);

    // A header typed into the header editor reaches the server.
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await setEditorValue(page, HEADERS_EDITOR, '{"Authorization": "Bearer typed-token"}');
    await setEditorValue(page, QUERY_EDITOR, 'query Me { whoami postCount }');
    await runAndWaitFor(page, 'Bearer typed-token');
    assert.equal(fx.seenAuthorization.at(-1), 'Bearer typed-token');

    // The dev identity panel fetches a token and puts it into the header editor.
    await page.click('button[aria-label="Show Dev identity"]');
    await page.fill('#forum-dev-role', 'forum_example_person');
    await page.fill('#forum-dev-claims', '{"person_id": 1}');
    await page.click('button:text-is("Use this identity")');
    await page.waitForFunction((sel) => (document.querySelector(sel) as any)?.CodeMirror.getValue().includes('Bearer dev.'), HEADERS_EDITOR);
    const headers = JSON.parse(await editorValue(page, HEADERS_EDITOR));
    const token = headers.Authorization.slice('Bearer dev.'.length);
    assert.deepEqual(JSON.parse(Buffer.from(token, 'base64url').toString()), {
      claims: { person_id: 1 },
      role: 'forum_example_person',
    });
    await runAndWaitFor(page, headers.Authorization);
    assert.equal(fx.seenAuthorization.at(-1), headers.Authorization);

    // Subscriptions go over graphql-ws with the headers as connection_init payload.
    await setEditorValue(page, QUERY_EDITOR, 'subscription Ticks { ticks(upTo: 3) }');
    await runAndWaitFor(page, '"ticks": 3');
    assert.deepEqual(fx.wsConnectionParams.at(-1), { authorization: headers.Authorization });

    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.screenshot({ path: '/tmp/graphiql.png' });
    assert.deepEqual(problems, []);

    // Without watch mode: no stream, no identity panel.
    const plain = await browser.newPage();
    const plainRequests: string[] = [];
    plain.on('request', (r) => plainRequests.push(new URL(r.url()).pathname));
    await plain.goto(`${fx.url}/plain`);
    await plain.waitForFunction(() => (window as any).__forumDev.schemaApplied >= 1);
    await plain.waitForSelector('button[aria-label="Show Documentation Explorer"]');
    assert.equal(await plain.locator('button[aria-label="Show Dev identity"]').count(), 0);
    assert.ok(!plainRequests.includes('/graphql/stream'), plainRequests.join(' '));
  } catch (err) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) {
      await pages[0].screenshot({ path: '/tmp/graphiql-failure.png' }).catch(() => {});
      t.diagnostic(`state: ${JSON.stringify(await forumDev(pages[0]).catch(() => null))}`);
      t.diagnostic(`response: ${await editorValue(pages[0], RESPONSE).catch((e) => String(e))}`);
    }
    throw err;
  } finally {
    await browser.close();
    await fx.close();
  }
});

test('asset routes send cache headers and the config is script-safe', async () => {
  const app = express();
  app.use(graphiqlRouter({ graphqlRoute: '/api</script><b>', graphiqlRoute: '/ide', watch: false }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const page = await fetch(`${base}/ide`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    assert.ok(!html.includes('</script><b>'), 'route must be escaped inside the config script');
    const config = JSON.parse(/<script id="forum-dev-config" type="application\/json">(.*?)<\/script>/s.exec(html)![1]);
    assert.equal(config.graphqlRoute, '/api</script><b>');
    assert.equal(config.streamRoute, null);
    assert.equal(config.devTokenRoute, null);

    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(scripts.some((s) => /^\/_forum-dev\/assets\/graphiql@3\.[\d.]+\/graphiql\.min\.js$/.test(s)), scripts.join());
    for (const src of scripts) {
      const r = await fetch(base + src);
      assert.equal(r.status, 200, src);
      assert.match(r.headers.get('content-type') ?? '', /^text\/javascript/);
      const vendored = src.includes('@');
      assert.equal(r.headers.get('cache-control'), vendored ? 'public, max-age=31536000, immutable' : 'no-cache', src);
      await r.arrayBuffer();
    }
    assert.equal((await fetch(`${base}/_forum-dev/assets/nope.js`)).status, 404);
    assert.equal((await fetch(`${base}/_forum-dev/assets/..%2Fpackage.json`)).status, 404);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
