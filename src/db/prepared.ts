// Statements sent with the extended protocol, one round trip per call: each statement is
// parsed (once per connection when named), bound and run, and one Sync ends the lot. Until that
// Sync PostgreSQL runs them in one implicit transaction, so settings made with
// set_config(..., true) by the first still hold in the next, and end with it: a request's
// settings and its statement need no BEGIN or COMMIT, which cost as much again on both sides.
//
// Statements are named, so Postgres parses and plans a repeated operation once per connection
// instead of on every request. Every statement we prepare returns one text column, so a schema
// change can never make a cached plan change its result type. Each connection keeps at most
// MAX_PREPARED statements and closes the least recently used.
//
// A connection pooler in transaction mode (PgBouncer's `pool_mode = transaction`) hands each
// transaction to any server connection, so statements prepared on one are missing on the next:
// pools marked with `useUnnamedStatements` send every statement unnamed instead (parsed and
// planned each time, as v4 does), which works through any pooler. The implicit transaction is
// one transaction to the pooler too.
import { createHash } from 'node:crypto';
import pg, { Query, type ClientBase, type Pool, type QueryResult } from 'pg';

export const MAX_PREPARED = 100;

/** What a connection has prepared (in least recently used order), and what it must close. */
interface Prepared {
  names: Map<string, true>;
  /** Statements that may or may not exist (their Parse was sent, then something failed): closed next time. */
  closes: string[];
}
const registry = new WeakMap<ClientBase, Prepared>();
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

function explainLostStatement(e: Error & { code?: string }): Error {
  if (lostStatementCodes.has(e.code ?? '') && /"fd_/.test(e.message)) {
    e.message += '. forum-dev prepares statements per connection, which a connection pooler in transaction mode '
      + '(PgBouncer with pool_mode = transaction) does not keep: start forum-dev with --no-prepared-statements '
      + '(library: preparedStatements: false) or connect to PostgreSQL directly.';
  }
  return e;
}

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * Every statement's result; or the first failure and the index of the statement that failed
 * (`statements.length` when every statement ran and the transaction's end failed, e.g. a
 * deferred constraint).
 */
export type PipelineOutcome =
  | { ok: true; results: QueryResult[] }
  | { ok: false; error: Error & { code?: string }; index: number };

interface Step {
  /** '' for the unnamed statement. */
  name: string;
  text: string;
  /** Send a Parse first (a new name, or any unnamed statement). */
  parse: boolean;
}

// The protocol messages node-postgres's connection writes (its own Query uses the same).
interface Wire {
  stream: { cork?(): void; uncork?(): void };
  close(msg: { type: 'S'; name: string }): void;
  parse(msg: { text: string; name: string }): void;
  bind(msg: { statement: string; values: unknown[] }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(msg: { portal: string }): void;
  sync(): void;
}

type Callback = (err: (Error & { code?: string }) | null, results?: QueryResult | QueryResult[]) => void;
interface AnswerHandling {
  handleCommandComplete(msg: unknown, connection: unknown): void;
}
// node-postgres's Query handles the answers (rows, several results, errors, the final
// ReadyForQuery); a subclass of it is also what its pipelining client accepts besides plain
// queries. Only what goes on the wire is ours.
const QueryBase = Query as unknown as new (config: { text: string }, values: undefined, callback: Callback) => AnswerHandling;
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;

class Pipeline extends QueryBase {
  /** Statements finished so far: on an error, the index of the one that failed. */
  done = 0;
  constructor(private readonly steps: Step[], private readonly values: unknown[][], private readonly closes: string[], callback: Callback) {
    super({ text: steps[0].text }, undefined, callback);
  }

  /** The statements' texts, in order (for tracing, see trace.ts). */
  get statementTexts(): string[] {
    return this.steps.map((s) => s.text);
  }

  submit(connection: Wire): null {
    connection.stream.cork?.();
    try {
      for (const name of this.closes) connection.close({ type: 'S', name });
      this.steps.forEach((step, i) => {
        if (step.parse) connection.parse({ text: step.text, name: step.name });
        connection.bind({ statement: step.name, values: this.values[i] });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  override handleCommandComplete(msg: unknown, connection: unknown): void {
    super.handleCommandComplete(msg, connection);
    this.done++;
  }
}

/** The statement that opens an explicit transaction (see the fallback below). */
export const BEGIN: Statement = Object.freeze({ text: 'begin', values: [] as unknown[] });

/**
 * Runs `statements` in one round trip, in one implicit transaction (or in the caller's explicit
 * one): a failure stops the rest, and the transaction with them.
 */
export function queryPipeline(client: ClientBase, statements: Statement[]): Promise<PipelineOutcome> {
  if (typeof (client as unknown as { connection?: { parse?: unknown } }).connection?.parse !== 'function') return oneByOne(client, statements);
  // values are made wire-ready first: one that cannot be (a circular object) fails before anything is sent
  let values: unknown[][];
  try {
    values = statements.map((s) => s.values.map(prepareValue));
  } catch (e) {
    return Promise.resolve({ ok: false, error: e as Error, index: 0 });
  }
  const unnamed = unnamedClients.has(client);
  let prepared = unnamed ? undefined : registry.get(client);
  if (!prepared && !unnamed) registry.set(client, (prepared = { names: new Map(), closes: [] }));
  const closes = prepared ? prepared.closes.splice(0) : [];
  const steps = statements.map(({ text }): Step => {
    if (!prepared) return { name: '', text, parse: true };
    const name = statementName(text);
    const known = prepared.names.delete(name); // re-added below: most recently used last
    if (!known && prepared.names.size >= MAX_PREPARED) {
      const oldest = prepared.names.keys().next().value as string;
      prepared.names.delete(oldest);
      closes.push(oldest);
    }
    prepared.names.set(name, true);
    return { name, text, parse: !known };
  });
  return new Promise((resolve) => {
    const pipeline = new Pipeline(steps, values, closes, (err, results) => {
      if (!err) {
        resolve({ ok: true, results: Array.isArray(results) ? results : [results!] });
        return;
      }
      // Statements parsed at or after the failure may or may not exist now: closed and parsed again next time.
      for (const step of steps.slice(pipeline.done)) {
        if (!prepared || !step.parse) continue;
        prepared.names.delete(step.name);
        prepared.closes.push(step.name);
      }
      resolve({ ok: false, error: explainLostStatement(err), index: pipeline.done });
    });
    // (a Submittable: node-postgres sends it as it sends its own queries, in order)
    void client.query(pipeline as unknown as pg.QueryConfig);
  });
}

/**
 * For clients that write no protocol messages of their own (pg-native's, on libpq): each
 * statement through `client.query`, unnamed, one after another. Several statements run in
 * `begin` … `commit`, which is what the implicit transaction gives, unless they open an explicit
 * transaction themselves (BEGIN first), which then stays open.
 */
async function oneByOne(client: ClientBase, statements: Statement[]): Promise<PipelineOutcome> {
  const wrap = statements.length > 1 && statements[0] !== BEGIN;
  const results: QueryResult[] = [];
  let index = 0;
  try {
    if (wrap) await client.query('begin');
    for (; index < statements.length; index++) results.push(await client.query({ text: statements[index].text, values: statements[index].values }));
    if (wrap) await client.query('commit');
    return { ok: true, results };
  } catch (e) {
    if (wrap && index < statements.length) await client.query('rollback').catch(() => undefined);
    return { ok: false, error: e as Error, index };
  }
}

/** One statement, named; rejects with its failure. Statements issued without waiting go out in order. */
export async function queryPrepared(client: ClientBase, text: string, values: unknown[]): Promise<QueryResult> {
  const outcome = await queryPipeline(client, [{ text, values }]);
  if (!outcome.ok) throw outcome.error;
  return outcome.results[0];
}
