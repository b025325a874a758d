// The GraphiQL page in a real browser (one Chromium for every check here): against a
// graphql-js server whose schema-change stream the test drives (graphiql-fake.ts), and against
// forum-dev itself on the forum database (explorer, Explain, roles, JWTs, headers that survive a
// reload, --watch-sql errors and drops, notices that leave the editors alone). Screenshots go to
// /tmp/ide-shots for people to look at.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/browser';
import { graphiqlRouter } from '../../src/http/graphiql';
import { SDL_V2, startFakeServer } from './graphiql-fake';
import { compiledStatement, createForumDb, startOurs } from '../e2e/setup';

export const SHOTS = '/tmp/ide-shots';

let shared: Promise<Browser> | undefined;
const browserOnce = () => (shared ??= launchChromium(CHROMIUM));
after(async () => {
  if (shared) await (await shared).close();
});

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
  const fx = await startFakeServer();
  const browser = await browserOnce();
  fs.mkdirSync(SHOTS, { recursive: true });
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
    // file:line:column, not Postgres's offset into the whole file (`position`).
    const error = { message: 'syntax error at or near "tabel"', file: 'db/current.sql', line: 3, column: 8, position: 40 };
    fx.emit(2, { generation: 2, error });
    await page.waitForSelector('#forum-dev-banner:not([hidden])');
    assert.match(await page.locator('#forum-dev-banner').innerText(), /^db\/current\.sql:3:8: syntax error at or near "tabel"$/);
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
    // The roles the route lists are offered; picking one fills the role.
    await page.click('.forum-dev-role-choice:text-is("forum_example_person")');
    assert.equal(await page.inputValue('#forum-dev-role'), 'forum_example_person');
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
    await page.screenshot({ path: `${SHOTS}/fake-docs.png` });
    // This server does not allow Explain: no toggle.
    assert.equal(await page.locator('.forum-dev-explain-toggle').count(), 0);
    assert.deepEqual(problems, []);

    // Without watch mode: no stream, no identity panel.
    const plain = await browser.newPage();
    const plainRequests: string[] = [];
    plain.on('request', (r) => plainRequests.push(new URL(r.url()).pathname));
    await plain.goto(`${fx.url}/plain`);
    await plain.waitForFunction(() => (window as any).__forumDev.schemaApplied >= 1);
    await plain.waitForSelector('button[aria-label="Show Documentation Explorer"]');
    await plain.waitForSelector('button[aria-label="Show GraphiQL Explorer"]');
    assert.equal(await plain.locator('button[aria-label="Show Dev identity"]').count(), 0);
    assert.ok(!plainRequests.includes('/graphql/stream'), plainRequests.join(' '));
  } catch (err) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) {
      await pages[0].screenshot({ path: `${SHOTS}/fake-failure.png` }).catch(() => {});
      t.diagnostic(`state: ${JSON.stringify(await forumDev(pages[0]).catch(() => null))}`);
      t.diagnostic(`response: ${await editorValue(pages[0], RESPONSE).catch((e) => String(e))}`);
    }
    throw err;
  } finally {
    await Promise.all(browser.contexts().map((c) => c.close()));
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

const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
type Box = { x: number; y: number; width: number; height: number };

/** Fails when any visible element of `over` covers any of GraphiQL's editors. */
async function assertEditorsUncovered(page: Page, over: string) {
  const editors = ['.graphiql-query-editor', '.graphiql-response', '.graphiql-editor-tools', '.graphiql-editor-tool', '.graphiql-toolbar'];
  const boxes = async (sel: string) => (await Promise.all((await page.locator(sel).all()).map((l) => l.boundingBox()))).filter((b): b is Box => !!b);
  const covering = await boxes(over);
  assert.ok(covering.length > 0, `nothing visible matches ${over}`);
  for (const sel of editors) {
    for (const e of await boxes(sel)) {
      for (const c of covering) assert.ok(!overlaps(c, e), `${over} ${JSON.stringify(c)} covers ${sel} ${JSON.stringify(e)}`);
    }
  }
}

test('GraphiQL on forum-dev: explorer, Explain, roles, a JWT from a result, headers kept, --watch-sql notices', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  const db = await createForumDb('graphiql');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-ide-'));
  const sqlFile = path.join(dir, 'current.sql');
  fs.writeFileSync(sqlFile, '-- nothing yet\n');
  const ours = await startOurs(db.url, { watch: true, ownerConnection: db.adminUrl, allowExplain: true, watchSql: [sqlFile] });
  const context = await (await browserOnce()).newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // (Chromium logs every 4xx answer as an error too: those are checked by status instead.)
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  const loaded = () => page.waitForFunction(() => (window as any).__forumDev.schemaApplied >= 1 && (window as any).__forumDev.streamOpen);
  try {
    await page.goto(`${ours.server.url}/graphiql`);
    await loaded();

    // The explorer: the API's root fields as a clickable tree; ticking one writes the query.
    await page.click('button[aria-label="Show GraphiQL Explorer"]');
    await page.waitForSelector('.graphiql-explorer-root [data-field-name="allPeople"]');
    await page.click('.graphiql-explorer-root [data-field-name="allPeople"] >> text=allPeople');
    await page.waitForFunction((sel) => /allPeople/.test((document.querySelector(sel) as any).CodeMirror.getValue()), QUERY_EDITOR);
    await page.screenshot({ path: `${SHOTS}/forum-explorer.png` });

    // Explain: the toggle asks for plans; SQL and plan show beside the result, not in it.
    await page.click('button[aria-label="Hide GraphiQL Explorer"]');
    await page.click('.forum-dev-explain-toggle');
    await page.waitForSelector('#forum-dev-explain:not([hidden])');
    await setEditorValue(page, QUERY_EDITOR, 'query Latest { allPosts(first: 3, orderBy: ID_DESC) { nodes { id headline } } }');
    await runAndWaitFor(page, '"headline"');
    await page.waitForSelector('.forum-dev-explain-plan');
    // The statement the server ran, one clause a line (only the spaces differ).
    const shownSql = await page.locator('.forum-dev-explain-sql').innerText();
    const ranSql = compiledStatement(ours.server, 'query Latest { allPosts(first: 3, orderBy: ID_DESC) { nodes { id headline } } }').text;
    assert.equal(shownSql.replace(/\s+/g, ''), ranSql.replace(/\s+/g, ''));
    assert.match(shownSql, /^select\b.*\n\s+from\b/s);
    assert.match(await page.locator('.forum-dev-explain-plan').innerText(), /Scan .*on post/);
    assert.doesNotMatch(await editorValue(page, RESPONSE), /"explain"/);
    await assertEditorsUncovered(page, '#forum-dev-explain');
    await page.screenshot({ path: `${SHOTS}/forum-explain.png` });

    // The identity panel offers the roles the connection may become; a token for one is used.
    await page.click('button[aria-label="Show Dev identity"]');
    await page.waitForSelector('.forum-dev-role-choice:text-is("forum_example_person")');
    const roles = await page.locator('.forum-dev-role-choice').allInnerTexts();
    assert.deepEqual(roles.slice(0, 3), ['default role', 'forum_example_anonymous', 'forum_example_person'], roles.join());
    assert.ok(!roles.includes('postgres'), 'the superuser the server cannot become is not offered');
    await page.click('.forum-dev-role-choice:text-is("forum_example_person")');
    await page.fill('#forum-dev-claims', '{"person_id": 2}');
    await page.click('button:text-is("Use this identity")');
    await page.waitForSelector('.forum-dev-identity-ok');
    await page.screenshot({ path: `${SHOTS}/forum-identity.png` });
    await setEditorValue(page, QUERY_EDITOR, 'query Me { currentPerson { fullName } }');
    await runAndWaitFor(page, 'Andrea Fox');
    // A role the server cannot become is refused in words.
    await page.fill('#forum-dev-role', 'postgres');
    await page.click('button:text-is("Use this identity")');
    await page.waitForSelector('.forum-dev-identity-error');
    assert.match(await page.locator('.forum-dev-identity-error').innerText(), /cannot become role 'postgres'/);

    // A mutation returns a JWT: one click sends it.
    await setEditorValue(page, QUERY_EDITOR,
      'mutation Login { authenticate(input: { email: "sara.powell@example.com", password: "password" }) { jwtToken } }');
    await runAndWaitFor(page, 'jwtToken');
    const token = JSON.parse(await editorValue(page, RESPONSE)).data.authenticate.jwtToken as string;
    const offer = page.locator('.forum-dev-toast[data-key="jwt"]');
    assert.match(await offer.innerText(), /authenticate\.jwtToken/);
    await assertEditorsUncovered(page, '.forum-dev-toast');
    await page.screenshot({ path: `${SHOTS}/forum-jwt-offer.png` });
    await offer.locator('button:text-is("Use this token")').click();
    await page.waitForFunction(([sel, tk]) => (document.querySelector(sel) as any)?.CodeMirror.getValue().includes(tk), [HEADERS_EDITOR, token] as const);
    assert.deepEqual(JSON.parse(await editorValue(page, HEADERS_EDITOR)), { Authorization: `Bearer ${token}` });
    await setEditorValue(page, QUERY_EDITOR, 'query Me { currentPerson { fullName } }');
    await runAndWaitFor(page, 'Sara Powell');

    // Headers survive a reload, and the next request goes out with them. (GraphiQL stores its
    // tabs about 0.6 s after an edit; a reload before that would find the previous headers.)
    await page.waitForFunction((tk) => (localStorage.getItem('graphiql:tabState') ?? '').includes(tk), token);
    await page.reload();
    await loaded();
    await page.waitForSelector(QUERY_EDITOR);
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    assert.deepEqual(JSON.parse(await editorValue(page, HEADERS_EDITOR)), { Authorization: `Bearer ${token}` });
    await runAndWaitFor(page, 'Sara Powell');

    // --watch-sql: an error points at the line and column Postgres means.
    fs.writeFileSync(sqlFile, 'select 1;\n  selec 2;\n');
    await page.waitForSelector('#forum-dev-banner:not([hidden])', { timeout: 10_000 });
    assert.equal(await page.locator('#forum-dev-banner').innerText(), `${sqlFile}:2:3: syntax error at or near "selec"`);
    await page.screenshot({ path: `${SHOTS}/forum-sql-error.png` });
    // A column added, then dropped: the notices say so in words, below the editors.
    fs.writeFileSync(sqlFile, 'alter table forum_example.post add column if not exists views int default 0;\n');
    await page.waitForSelector('#forum-dev-banner', { state: 'hidden', timeout: 10_000 });
    await page.waitForFunction(() => ((window as any).__forumDev.lastChange?.changes ?? []).includes('+ Post.views'), undefined, { timeout: 10_000 });
    fs.writeFileSync(sqlFile, 'alter table forum_example.post drop column if exists views;\n');
    await page.waitForFunction(() => /column post\.views dropped/.test((window as any).__forumDev.lastChange?.ddl ?? ''), undefined, { timeout: 10_000 });
    const dropped = await page.locator('.forum-dev-toast').last().innerText();
    assert.match(dropped, /- Post\.views \[breaking\].*\(column post\.views dropped; ALTER TABLE forum_example\.post\)/);
    assert.equal((await forumDev(page)).generation, ours.server.live.current().generation);
    await assertEditorsUncovered(page, '.forum-dev-toast');
    await assertEditorsUncovered(page, '#forum-dev-explain');
    await page.screenshot({ path: `${SHOTS}/forum-notices.png` });
    // The one refusal asked for above, and nothing else went wrong.
    assert.deepEqual(problems, ['403 POST /graphql/dev-token']);
  } catch (err) {
    await page.screenshot({ path: `${SHOTS}/forum-failure.png` }).catch(() => {});
    throw err;
  } finally {
    await context.close();
    await ours.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
