// Named prepared statements per connection, so Postgres parses and plans a repeated operation
// once per connection instead of on every request. Every statement we prepare returns one text
// column, so a schema change can never make a cached plan change its result type. Each
// connection keeps at most MAX_PREPARED statements and deallocates the least recently used.
import { createHash } from 'node:crypto';
import type { ClientBase, QueryResult } from 'pg';

export const MAX_PREPARED = 100;
const registry = new WeakMap<ClientBase, Map<string, true>>();

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

/**
 * Queries by name. Everything is issued at once, in order (no await in between), so callers can
 * pipeline several statements: node-postgres sends queued queries in the order they were made.
 */
export function queryPrepared(client: ClientBase, text: string, values: unknown[]): Promise<QueryResult> {
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
  return client.query({ name, text, values });
}
