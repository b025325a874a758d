// Shared pieces of the watch tests: a throwaway database on the test cluster and small waits.

import { Client } from 'pg';
import { adminUrl, createDatabase, dropDatabase, uniqueName, withDatabase } from '../helpers/db';

export { adminUrl };

export type TestDb = { name: string; url: string; drop(): Promise<void> };

export async function createTestDb(prefix: string): Promise<TestDb> {
  const name = uniqueName(prefix);
  const url = await createDatabase(name, []);
  return { name, url, drop: () => dropDatabase(name) };
}

export async function run(url: string, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolve once `check` returns true; fail after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A login role without superuser, dropped (with its privileges in `db`) by `drop()`. */
export async function createPlainRole(db: TestDb): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = uniqueName('watch_role');
  const password = 'pw_' + name;
  await run(adminUrl(), `create role ${name} login nosuperuser password '${password}'`);
  const u = new URL(db.url);
  u.username = name;
  u.password = password;
  return {
    name,
    url: u.toString(),
    async drop() {
      await run(withDatabase(adminUrl(), 'postgres'), `drop role if exists ${name}`);
    },
  };
}
