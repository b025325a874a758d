// Throwaway databases on the test cluster (TEST_DATABASE_URL, a superuser connection).
// Each test file creates its own uniquely named databases so files can run in parallel.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';

export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set (run the tests through `npm test`)');
  return url;
}

/** The connection string of `url` pointed at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** The same server and database as `url`, logged in as another role. */
export function connectionAs(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** A database name that is unique per call: `<prefix>_<random>`, lower case, safe unquoted. */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40);
  return `${clean}_${randomBytes(4).toString('hex')}`;
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(adminUrl(), 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drop a database, disconnecting anyone still using it. */
export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`));
}

// Two files creating or granting the same cluster-wide role at once: the loser's transaction
// fails even though its "if not exists" check passed; running it again sees the role.
function isRoleRace(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e.code === '23505' ||
    e.code === '42710' ||
    (e.code === 'XX000' && /concurrently/.test(e.message ?? ''))
  );
}

/**
 * (Re)create database `name` and run each SQL file in it, each in its own transaction.
 * Roles are cluster-wide, so the SQL files must create them idempotently themselves.
 * Returns a superuser connection string for the new database.
 */
export async function createDatabase(name: string, sqlFiles: string[]): Promise<string> {
  await dropDatabase(name);
  await withAdmin((c) => c.query(`create database "${name.replace(/"/g, '""')}"`));
  const url = withDatabase(adminUrl(), name);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const file of sqlFiles) {
      const sql = readFileSync(file, 'utf8');
      for (let attempt = 1; ; attempt++) {
        await client.query('begin');
        try {
          await client.query(sql);
          await client.query('commit');
          break;
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          if (attempt < 4 && isRoleRace(err)) continue;
          throw new Error(`${file}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await client.end();
  }
  return url;
}
