// The server's own pool, made safe to lose the database under: an error on an idle client, or
// on a client that is checked out between two statements (the database restarting), is logged
// instead of crashing the process as an unhandled 'error' event. The pool discards the broken
// client when it is released.
import type { Pool } from 'pg';

export function guardPool(pool: Pool, log?: (line: string) => void): Pool {
  pool.on('error', (e) => log?.(`database connection lost: ${e.message}`));
  pool.on('connect', (client) => {
    client.on('error', (e) => log?.(`database connection lost: ${e.message}`));
  });
  return pool;
}
