// Shared setup for the end-to-end tests: fresh forum databases, our server, and a small
// HTTP client that parses responses (JSON whitespace differs from v4, so compare parsed data).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { after, before, type TestContext } from 'node:test';
import { join, relative, resolve } from 'node:path';
import { Kind, parse, validate, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { PoolClient } from 'pg';
import { compileQuery } from '../../src/sql/compile';
import type { CompiledSQL } from '../../src/sql/fragment';
import { defaultOptions, type Options } from '../../src/options';
import { createServer, type RunningServer, type ServerDeps } from '../../src/server';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import type { GraphQLResponse } from '../helpers/v4';
import { assertTimeless } from '../helpers/timeless';

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

export async function startOurs(connection: string, extra: Partial<Options> = {}, deps: ServerDeps = {}): Promise<OurServer> {
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
  }, {}, deps);
  const url = `${server.url}/graphql`;
  return { server, url, graphql: (q, v, h) => post(url, JSON.stringify({ query: q, variables: v }), h), close: () => server.close() };
}

/** Options for a reference database served as-is: its schemas, no roles and no JWT. */
export function plainOptions(schemas: string[]): Partial<Options> {
  return { schemas, defaultRole: undefined, jwtSecret: undefined, jwtTokenIdentifier: undefined };
}

/** Our one statement for a query operation, as the server compiles it on its current schema. */
export function compiledStatement(server: RunningServer, query: string, variables: Record<string, unknown> = {}): CompiledSQL {
  const { schema, model } = server.live.current();
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new Error(coerced.errors.map((e) => e.message).join('\n'));
  return compileQuery({ schema, model, operation, fragments, variables: coerced.coerced });
}

export interface QueryFixture {
  query: string;
  variables: Record<string, unknown>;
}

/** The `<name>.graphql` files of a fixture folder, by name without extension, sorted. */
export function fixtureNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.graphql')).map((f) => f.slice(0, -'.graphql'.length)).sort();
}

/** A query file; variables come from a `# variables: {...}` line. */
export function loadFixture(dir: string, name: string): QueryFixture {
  const query = readFileSync(join(dir, `${name}.graphql`), 'utf8');
  const m = /^# variables: (.*)$/m.exec(query);
  return { query, variables: m ? JSON.parse(m[1]) : {} };
}

/**
 * The recorded content of `file`, (re)written from `actual` first when `update` is set or when
 * the file is missing and `create` is set. Undefined when the file does not exist.
 */
export function recorded(file: string, actual: string, update: boolean, create = false): string | undefined {
  // What this run produced must not depend on the day, or the recording fails tomorrow.
  assertTimeless(actual, relative(root, file));
  if (update || (create && !existsSync(file))) writeFileSync(file, actual);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export interface StatementLog {
  /** The statements run since the last call, without transaction control. */
  take(): string[];
}

// The settings statement (role, claims, statement_timeout) frames the request's statement too.
const transactionControl = /^\s*((begin|commit|rollback|savepoint|release)\b|select set_config\()/i;

/** A log of the statements a server sends (pass `onStatement` to startOurs), without transaction control. */
export function createStatementLog(): StatementLog & { onStatement: (text: string) => void } {
  let log: string[] = [];
  return {
    onStatement: (text) => {
      if (!transactionControl.test(text)) log.push(text);
    },
    take: () => {
      const out = log;
      log = [];
      return out;
    },
  };
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

export interface ForumServerFixture {
  readonly db: ForumDb;
  readonly ours: OurServer;
  /** The statements the server sent. */
  readonly statements: StatementLog;
  /** Asserts the server still answers an ordinary query as before. */
  stillAnswers(): Promise<void>;
}

/** A forum database and our server on it for the calling test file, dropped after its tests. */
export function useForumServer(prefix: string, extra: Partial<Options> = {}): ForumServerFixture {
  let db: ForumDb | undefined;
  let ours: OurServer | undefined;
  const statements = createStatementLog();
  before(async () => {
    db = await createForumDb(prefix);
    ours = await startOurs(db.url, extra, { onStatement: statements.onStatement });
  });
  after(async () => {
    await ours?.close();
    await db?.drop();
  });
  return {
    get db() { return db!; },
    get ours() { return ours!; },
    statements,
    async stillAnswers() {
      const r = await ours!.graphql('{ allPosts { totalCount } }');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { data: { allPosts: { totalCount: 5 } } });
    },
  };
}

interface ErrorLike {
  message: string;
  path?: unknown;
}

/** Our answer against v4's: the same JSON; when v4 errs, the same data and error paths (wording may differ). */
export function compareWithV4(t: TestContext, a: { status: number; body: any }, e: { status: number; body: any }): void {
  assert.equal(a.status, e.status, JSON.stringify(a.body));
  const expectedErrors = (e.body.errors ?? []) as ErrorLike[];
  if (!expectedErrors.length) {
    assert.deepEqual(a.body, e.body);
  } else {
    const actualErrors = (a.body.errors ?? []) as ErrorLike[];
    assert.deepEqual(a.body.data, e.body.data);
    assert.deepEqual(actualErrors.map((x) => x.path), expectedErrors.map((x) => x.path), JSON.stringify(actualErrors));
    expectedErrors.forEach((x, i) => {
      if (x.message !== actualErrors[i]?.message) t.diagnostic(`message differs: v4 "${x.message}", ours "${actualErrors[i]?.message}"`);
    });
  }
}
