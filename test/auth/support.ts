// Shared setup for the HTTP auth tests: a forum database, our server on a pool the test owns
// (so it can see every statement the server sends), and token helpers.
import { Client, Pool } from 'pg';
import { tracedClient } from '../../src/db/trace';
import jwt from 'jsonwebtoken';
import { defaultOptions, type Options } from '../../src/options';
import { createServer, type RunningServer } from '../../src/server';
import type { HttpHooks } from '../../src/http/routes';
import { JWT_SECRET, post } from '../e2e/setup';
import type { GraphQLResponse } from '../helpers/v4';

export { JWT_SECRET };

/** A pool whose clients record the text of every statement they send, in order. */
export function countingPool(connection: string, max: number): { pool: Pool; sent: string[] } {
  const sent: string[] = [];
  const pool = new Pool({ connectionString: connection, max, Client: tracedClient((text) => sent.push(text)) });
  return { pool, sent };
}

export interface AuthServer {
  server: RunningServer;
  pool: Pool;
  sent: string[];
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** Our server on the forum database with the tutorial's options, on a pool of `max` clients. */
export async function startAuthServer(
  connection: string, extra: Partial<Options> = {}, hooks: HttpHooks = {}, max = 4,
): Promise<AuthServer> {
  const { pool, sent } = countingPool(connection, max);
  let server: RunningServer;
  try {
    server = await createServer({
      ...defaultOptions,
      connection,
      schemas: ['forum_example'],
      defaultRole: 'forum_example_anonymous',
      jwtSecret: JWT_SECRET,
      jwtTokenIdentifier: 'forum_example.jwt_token',
      port: 0,
      host: '127.0.0.1',
      disableQueryLog: true,
      ...extra,
    }, hooks, { pool });
  } catch (e) {
    await pool.end();
    throw e;
  }
  const url = `${server.url}/graphql`;
  return {
    server, pool, sent,
    graphql: (q, v, h) => post(url, JSON.stringify({ query: q, variables: v }), h),
    async close() {
      await server.close();
      await pool.end();
    },
  };
}

/** A token for the forum's person role, as the tutorial's `authenticate` would give. */
export function personToken(personId: number, secret = JWT_SECRET): string {
  return jwt.sign({ role: 'forum_example_person', person_id: personId, aud: 'postgraphile' }, secret);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Runs SQL as the superuser in the given database. */
export async function adminSql(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `forum_example.current_tenant()`: echoes an integrator's `myapp.tenant` setting. */
export const CURRENT_TENANT_SQL = `
  create function forum_example.current_tenant() returns text as $$
    select nullif(current_setting('myapp.tenant', true), '')
  $$ language sql stable;
  grant execute on function forum_example.current_tenant() to forum_example_anonymous, forum_example_person;
`;
