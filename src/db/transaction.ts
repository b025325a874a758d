// One request = one transaction on one pooled connection, with role and claims applied as
// transaction-local settings so they can never leak to the next user of the connection.
import type { Pool, PoolClient } from 'pg';
import { settingsStatement, type Setting } from './settings';
import { queryPrepared } from './prepared';

/**
 * Runs `fn` on a pooled connection and always returns it clean: a transaction left open (by an
 * error) is rolled back, and a connection whose rollback fails is destroyed instead of reused.
 */
async function onConnection<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    return await fn(client);
  } catch (e) {
    if ((client as unknown as { _txStatus?: string })._txStatus !== 'I') {
      try {
        await client.query('rollback');
      } catch {
        broken = true;
      }
    }
    throw e;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/** `begin` and the settings, sent together (one round trip when the client pipelines). */
async function begin(client: PoolClient, settings: Setting[]): Promise<void> {
  const st = settings.length ? settingsStatement(settings) : null;
  const [begun, applied] = await Promise.allSettled([
    client.query('begin'),
    st ? queryPrepared(client, st.text, st.values) : null,
  ]);
  if (begun.status === 'rejected') throw begun.reason;
  if (applied.status === 'rejected') {
    const reason = applied.reason as Error & { code?: string };
    // A lost connection is not about the request's settings: report it as what it is.
    if (isConnectionLoss(reason)) throw reason;
    throw new SettingsError(reason);
  }
}

/**
 * Postgres text cannot hold U+0000, so a claim or setting holding it (in a validly signed token,
 * say) is the client's mistake: refused before a connection is taken.
 */
function checkStorable(settings: Setting[]): void {
  const bad = settings.find(([name, value]) => name.includes('\u0000') || value.includes('\u0000'));
  if (bad) {
    const name = bad[0].replace(/^jwt\.claims\./, '').replace(/\u0000/g, '\\u0000');
    throw new SettingsError(Object.assign(
      new Error(`The JWT claim or setting "${name}" holds the character U+0000, which PostgreSQL text cannot store.`),
      { code: '22021' },
    ));
  }
}

export async function withTransaction<T>(
  pool: Pool, settings: Setting[], fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  checkStorable(settings);
  return onConnection(pool, async (client) => {
    await begin(client, settings);
    const result = await fn(client);
    await client.query('commit');
    return result;
  });
}

/**
 * One read statement in its own transaction with the request's settings, sent as one pipeline:
 * begin, settings, the statement and commit go out together, so the whole request costs one
 * round trip to Postgres when the pool's clients pipeline (createServer's do). Resolves to the
 * statement's first row.
 */
export async function queryWithSettings(
  pool: Pool, settings: Setting[], text: string, values: unknown[],
): Promise<Record<string, any>> {
  checkStorable(settings);
  return onConnection(pool, async (client) => {
    if (!settings.length) return (await queryPrepared(client, text, values)).rows[0];
    // Issued without waiting, in order; a failure aborts the transaction and the commit then
    // ends it (Postgres answers COMMIT in an aborted transaction with ROLLBACK).
    const [begun, main, commit] = await Promise.allSettled([
      begin(client, settings),
      queryPrepared(client, text, values),
      client.query('commit'),
    ]);
    if (begun.status === 'rejected') throw begun.reason;
    if (main.status === 'rejected') throw main.reason;
    if (commit.status === 'rejected') throw commit.reason;
    return main.value.rows[0];
  });
}

/** The connection went away (the database restarting, a terminated backend, a network error). */
export function isConnectionLoss(e: Error & { code?: string }): boolean {
  const code = e.code ?? '';
  return code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code)
    || e.message === 'Connection terminated unexpectedly' || e.message === 'Connection terminated';
}

/** The request's role or settings could not be applied (e.g. a role the server cannot become). */
export class SettingsError extends Error {
  readonly status: number;
  readonly code?: string;
  constructor(cause: Error & { code?: string }) {
    const denied = cause.code === '42501' || cause.code === '22023';
    super(denied ? `Permission denied to use the role or settings this request asks for: ${cause.message}` : cause.message);
    // 22021: a character the database encoding cannot hold, e.g. U+0000 in a claim.
    this.status = denied ? 403 : cause.code === '22021' ? 400 : 500;
    this.code = cause.code;
  }
}
