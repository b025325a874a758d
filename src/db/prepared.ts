// Named prepared statements per connection, so Postgres parses and plans a repeated operation
// once per connection instead of on every request. Every statement we prepare returns one text
// column, so a schema change can never make a cached plan change its result type. Each
// connection keeps at most MAX_PREPARED statements and deallocates the least recently used.
//
// A connection pooler in transaction mode (PgBouncer's `pool_mode = transaction`) hands each
// transaction to any server connection, so statements prepared on one are missing on the next:
// pools marked with `useUnnamedStatements` send every statement unnamed instead (parsed and
// planned each time, as v4 does), which works through any pooler.
import { createHash } from 'node:crypto';
import type { ClientBase, Pool, QueryResult } from 'pg';

export const MAX_PREPARED = 100;
const registry = new WeakMap<ClientBase, Map<string, true>>();
// Clients (of pools marked below) that must not use named statements.
const unnamedClients = new WeakSet<ClientBase>();
const unnamedPools = new WeakSet<Pool>();

// Hashing the text on every request shows up in profiles; the same texts come back constantly.
const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size > 5_000) names.clear();
    name = `fd_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}

/** Every statement on `target` (a pool's clients, or one client) goes unnamed from now on. */
export function useUnnamedStatements(target: Pool | ClientBase): void {
  if (!('totalCount' in target)) {
    unnamedClients.add(target);
    return;
  }
  if (unnamedPools.has(target)) return;
  unnamedPools.add(target);
  // 'acquire' fires for new and idle clients alike, before the caller gets the client.
  target.on('acquire', (client) => unnamedClients.add(client));
}

/**
 * True when a connection pooler (PgBouncer, Pgpool, a cloud proxy) sits between us and
 * PostgreSQL: the server process answering is not the one whose key greeted us, because the
 * pooler greets clients with keys of its own.
 */
export async function behindPooler(pool: Pool): Promise<boolean> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('select pg_backend_pid() as pid');
    const greeted = (client as unknown as { processID?: number }).processID;
    return greeted != null && rows[0].pid !== greeted;
  } finally {
    client.release();
  }
}

/**
 * Chooses how `pool` sends statements: `true` named, `false` unnamed, undefined named unless a
 * pooler is found. Says so through `log` when it turns them off by itself. Resolves to whether a
 * pooler was found (not looked for when `wanted` is given).
 */
export async function choosePreparedStatements(pool: Pool, wanted: boolean | undefined, log?: (line: string) => void): Promise<boolean> {
  if (wanted === false) useUnnamedStatements(pool);
  if (wanted !== undefined) return false;
  const pooled = await behindPooler(pool);
  if (pooled) {
    useUnnamedStatements(pool);
    log?.('A connection pooler (e.g. PgBouncer) sits in front of PostgreSQL: statements are sent unnamed, not prepared per connection.');
  }
  return pooled;
}

// Postgres's "prepared statement ... does not exist" and "... already exists".
const lostStatementCodes = new Set(['26000', '42P05']);

function explainLostStatement(e: Error & { code?: string }): never {
  if (lostStatementCodes.has(e.code ?? '') && /"fd_/.test(e.message)) {
    e.message += '. forum-dev prepares statements per connection, which a connection pooler in transaction mode '
      + '(PgBouncer with pool_mode = transaction) does not keep: start forum-dev with --no-prepared-statements '
      + '(library: preparedStatements: false) or connect to PostgreSQL directly.';
  }
  throw e;
}

/**
 * Queries by name. Everything is issued at once, in order (no await in between), so callers can
 * pipeline several statements: node-postgres sends queued queries in the order they were made.
 */
export function queryPrepared(client: ClientBase, text: string, values: unknown[]): Promise<QueryResult> {
  if (unnamedClients.has(client)) return client.query({ text, values });
  let prepared = registry.get(client);
  if (!prepared) registry.set(client, (prepared = new Map()));
  const name = statementName(text);
  if (prepared.has(name)) {
    prepared.delete(name); // refresh its place in the LRU order
  } else if (prepared.size >= MAX_PREPARED) {
    const oldest = prepared.keys().next().value as string;
    prepared.delete(oldest);
    // (names are base64url, so quoted: `-` is not an identifier character)
    client.query(`deallocate "${oldest}"`).catch(() => undefined);
    // node-postgres remembers what it prepared; forget it so it prepares again if needed.
    const parsed = (client as unknown as { connection?: { parsedStatements?: Record<string, unknown> } }).connection?.parsedStatements;
    if (parsed) delete parsed[oldest];
  }
  prepared.set(name, true);
  return client.query({ name, text, values }).catch(explainLostStatement);
}
