// One request = one transaction on one pooled connection, with role and claims applied as
// transaction-local settings so they can never leak to the next user of the connection.
import { Connection, type Pool, type PoolClient } from 'pg';
import { settingsStatement, type Setting } from './settings';
import { isUnavailable } from './unavailable';
import { BEGIN, queryPipeline, queryPrepared } from './prepared';

/** How long to wait for a connection, and a signal that the client went away. */
export interface ConnectionControl {
  /** Milliseconds to wait for a pooled connection (0 or absent: as long as it takes). */
  waitMs?: number;
  /** Set when the requester is gone: the wait ends, a running statement is cancelled. */
  signal?: GoneSignal;
}

/**
 * That a requester went away, told to whoever waits on it. One is made per request, so it is a
 * plain object: an AbortSignal with its event machinery showed up in request profiles.
 */
export interface GoneSignal {
  readonly aborted: boolean;
  /** Calls `fn` once when gone (at once if already gone); returns how to stop listening. */
  onGone(fn: () => void): () => void;
}

export function goneSignal(): GoneSignal & { abort(): void } {
  let listeners: Array<() => void> = [];
  const signal = {
    aborted: false,
    abort() {
      if (signal.aborted) return;
      signal.aborted = true;
      const called = listeners;
      listeners = [];
      for (const fn of called) fn();
    },
    onGone(fn: () => void) {
      if (signal.aborted) {
        fn();
        return () => {};
      }
      listeners.push(fn);
      return () => {
        listeners = listeners.filter((l) => l !== fn);
      };
    },
  };
  return signal;
}

/**
 * Runs `fn` on a pooled connection and always returns it clean: a transaction left open (by an
 * error) is rolled back, and a connection whose rollback fails is destroyed instead of reused.
 * A connection whose statement was cancelled is destroyed too: the cancel request travels on
 * its own socket and could otherwise reach the next user of the connection.
 */
async function onConnection<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>, control: ConnectionControl = {}): Promise<T> {
  const client = await connect(pool, control);
  let broken = false;
  const onAbort = () => {
    broken = true;
    void cancelBackend(client);
  };
  const stopListening = control.signal?.onGone(onAbort);
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
    stopListening?.();
    client.release(broken ? true : undefined);
  }
}

/** `pool.connect()`, bounded by `waitMs` and the signal; a connection that comes late goes back. */
async function connect(pool: Pool, { waitMs, signal }: ConnectionControl): Promise<PoolClient> {
  if (signal?.aborted) throw new ClientGoneError();
  // An idle connection is handed over at once: no wait to bound (a timer per request showed up
  // in profiles).
  if ((!waitMs && !signal) || (pool.idleCount > 0 && pool.waitingCount === 0)) return pool.connect();
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (waitMs) timer = setTimeout(() => reject(new PoolBusyError(waitMs)), waitMs);
    stopListening = signal?.onGone(() => reject(new ClientGoneError()));
  });
  try {
    return await Promise.race([pending, stop]);
  } catch (e) {
    pending.then((c) => c.release(), () => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
    stopListening?.();
  }
}

/**
 * Cancels the statement running on `client` with the protocol's cancel request (a separate
 * socket carrying the backend's id and key: no pool slot, no privilege needed).
 */
function cancelBackend(client: PoolClient): Promise<void> {
  const c = client as unknown as { processID?: number; secretKey?: number; connectionParameters?: { host?: string; port?: number } };
  const { host = 'localhost', port = 5432 } = c.connectionParameters ?? {};
  if (c.processID == null || c.secretKey == null) return Promise.resolve();
  return new Promise((resolve) => {
    // node-postgres's own cancel path; its typings leave out connect and cancel.
    const con = new Connection() as Connection & { connect(port: number | string, host?: string): void; cancel(pid: number, key: number): void };
    const done = () => resolve();
    con.once('connect', () => con.cancel(c.processID!, c.secretKey!));
    con.once('end', done);
    con.once('error', done);
    if (host.startsWith('/')) con.connect(`${host}/.s.PGSQL.${port}`);
    else con.connect(port, host);
  });
}

/** No pooled connection became free in time: every one is busy with other requests. */
export class PoolBusyError extends Error {
  readonly status = 503;
  constructor(waitMs: number) {
    super(`The server is busy: no database connection became free within ${waitMs} ms; try again shortly (the wait is set with --pool-wait-timeout).`);
  }
}

/** The requester went away (e.g. the HTTP client disconnected); the work was stopped. */
class ClientGoneError extends Error {
  constructor() {
    super('The request was cancelled because the client disconnected.');
  }
}

/**
 * `begin` and the settings as one pipeline (one round trip); the transaction stays open past its
 * Sync, as a BEGIN makes it. Throws a settings failure as a SettingsError.
 */
async function begin(client: PoolClient, settings: Setting[]): Promise<void> {
  const outcome = await queryPipeline(client, settings.length ? [BEGIN, settingsStatement(settings)] : [BEGIN]);
  if (outcome.ok) return;
  if (outcome.index === 0) throw outcome.error;
  // The BEGIN ran, so its transaction is open (and aborted): ended here, not left to a status
  // that the failure reached before the server's ReadyForQuery did.
  await client.query('rollback').catch(() => undefined);
  throw settingsFailure(outcome.error);
}

function settingsFailure(reason: Error & { code?: string }): Error {
  // A lost connection is not about the request's settings: report it as what it is.
  return isUnavailable(reason) ? reason : new SettingsError(reason);
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
  pool: Pool, settings: Setting[], fn: (client: PoolClient) => Promise<T>, control?: ConnectionControl,
): Promise<T> {
  checkStorable(settings);
  return onConnection(pool, async (client) => {
    await begin(client, settings);
    const result = await fn(client);
    await client.query('commit');
    return result;
  }, control);
}

/**
 * One statement with the request's settings, sent as one round trip: the settings statement and
 * the statement go out together and run in one implicit transaction, which ends at the Sync
 * that follows them (see prepared.ts), so the settings end with it. Resolves to the statement's
 * first row.
 */
export async function queryWithSettings(
  pool: Pool, settings: Setting[], text: string, values: unknown[], control?: ConnectionControl,
): Promise<Record<string, any>> {
  checkStorable(settings);
  return onConnection(pool, async (client) => {
    if (!settings.length) return (await queryPrepared(client, text, values)).rows[0];
    const outcome = await queryPipeline(client, [settingsStatement(settings), { text, values }]);
    if (outcome.ok) return outcome.results[1].rows[0];
    throw outcome.index === 0 ? settingsFailure(outcome.error) : outcome.error;
  }, control);
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
