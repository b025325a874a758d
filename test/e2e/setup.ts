// Shared setup for the end-to-end tests: fresh forum databases, our server, and a small
// HTTP client that parses responses (JSON whitespace differs from v4, so compare parsed data).
import { join, resolve } from 'node:path';
import { defaultOptions, type Options } from '../../src/cli/options';
import { createServer, type RunningServer } from '../../src/server/server';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import type { GraphQLResponse } from '../helpers/v4';

export const root = resolve(__dirname, '..', '..');
export const forumSql = [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')];
export const JWT_SECRET = 'keyboard_kitten';

export const forumV4Flags = [
  '--default-role', 'forum_example_anonymous',
  '--jwt-secret', JWT_SECRET,
  '--jwt-token-identifier', 'forum_example.jwt_token',
];

export interface ForumDb {
  name: string;
  /** Superuser connection to the database. */
  adminUrl: string;
  /** The tutorial's login role, forum_example_postgraphile. */
  url: string;
  drop(): Promise<void>;
}

export async function createForumDb(prefix: string): Promise<ForumDb> {
  const name = uniqueName(`e2e_${prefix}`);
  const adminUrl = await createDatabase(name, forumSql);
  return {
    name, adminUrl,
    url: connectionAs(adminUrl, 'forum_example_postgraphile', 'xyz'),
    drop: () => dropDatabase(name),
  };
}

export interface OurServer {
  server: RunningServer;
  url: string;
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export async function startOurs(connection: string, extra: Partial<Options> = {}): Promise<OurServer> {
  const server = await createServer({
    ...defaultOptions,
    connection,
    schemas: ['forum_example'],
    defaultRole: 'forum_example_anonymous',
    jwtSecret: JWT_SECRET,
    jwtTokenIdentifier: 'forum_example.jwt_token',
    port: 0,
    host: '127.0.0.1',
    ...extra,
  });
  const url = `${server.url}/graphql`;
  return { server, url, graphql: (q, v, h) => post(url, JSON.stringify({ query: q, variables: v }), h), close: () => server.close() };
}

/** POST a raw body to a GraphQL endpoint; the body is parsed when it is JSON. */
export async function post(url: string, body: string, headers?: Record<string, string>): Promise<GraphQLResponse> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}
