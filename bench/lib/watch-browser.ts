// The GraphiQL part of bench/watch.ts: how long after a DDL commit the page's schema has the new
// field, and whether a DDL made right after the page loaded is ever missed.
//
// The page keeps its schema in a closure; what it exposes is `window.__forumDev` (generation,
// schemaApplied, lastChange). An init script wraps fetch to keep the text of the latest
// introspection response and turns `schemaApplied` into a setter, so each time the page applies
// a schema we note when, and which introspection text it was built from.
import type { Client } from 'pg';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser';

export type BrowserResult = { times: number[]; freshLoads: number; freshOk: number; freshTimes: number[] };

const initScript = `(() => {
  const bench = { intro: '', applied: [] };
  window.__bench = bench;
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const p = realFetch.apply(this, arguments);
    if (!init || typeof init.body !== 'string' || !init.body.includes('IntrospectionQuery')) return p;
    return p.then((res) => {
      const text = res.text.bind(res);
      res.text = () => text().then((t) => { bench.intro = t; return t; });
      return res;
    });
  };
  let state;
  Object.defineProperty(window, '__forumDev', {
    configurable: true,
    get() { return state; },
    set(v) {
      state = v;
      let applied = v.schemaApplied;
      Object.defineProperty(v, 'schemaApplied', {
        enumerable: true,
        get() { return applied; },
        set(n) { applied = n; bench.applied.push({ at: Date.now(), text: bench.intro }); },
      });
    },
  });
})();`;

/** Wall-clock ms (Date.now) at which the page first applied a schema with field `name`, if yet. */
function appliedAt(page: Page, name: string): Promise<number | null> {
  return page.evaluate((n) => {
    const re = new RegExp(`"name":\\s*"${n}"`);
    const hit = (window as any).__bench.applied.find((a: { text: string }) => re.test(a.text));
    return hit ? (hit.at as number) : null;
  }, name);
}

async function waitApplied(page: Page, name: string, timeoutMs: number): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const at = await appliedAt(page, name);
    if (at !== null || Date.now() > end) return at;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  await context.addInitScript(initScript);
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

export async function browserBench(opts: {
  executablePath: string;
  pageUrl: string;
  db: Client;
  runs: number;
  freshLoads: number;
}): Promise<BrowserResult> {
  const browser = await launchChromium(opts.executablePath);
  try {
    const page = await openPage(browser, opts.pageUrl);
    await page.waitForFunction(() => (window as any).__forumDev.schemaApplied >= 1 && (window as any).__forumDev.streamOpen);
    await new Promise((r) => setTimeout(r, 300));
    const times: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      await opts.db.query(`alter table forum_example.post add column page_${i} int`);
      const t0 = Date.now();
      const at = await waitApplied(page, `page${i}`, 10_000);
      if (at === null) throw new Error(`page${i} never reached the page schema`);
      times.push(at - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.context().close();

    // Subscribe before fetch: a change right after load must still reach the page.
    let freshOk = 0;
    const freshTimes: number[] = [];
    for (let i = 0; i < opts.freshLoads; i++) {
      const p = await openPage(browser, opts.pageUrl);
      await opts.db.query(`alter table forum_example.post add column fresh_${i} int`);
      const t0 = Date.now();
      const at = await waitApplied(p, `fresh${i}`, 5_000);
      if (at !== null) {
        freshOk++;
        freshTimes.push(at - t0);
      }
      await p.context().close();
    }
    return { times, freshLoads: opts.freshLoads, freshOk, freshTimes };
  } finally {
    await browser.close();
  }
}
