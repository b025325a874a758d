// Runs one GraphQL request against a schema snapshot: parse and validate (cached per
// document), compile to SQL, execute in one transaction, and return the response text. The data
// JSON comes from Postgres and is spliced into the response without being parsed again.
import {
  GraphQLError, Kind, type ASTNode, execute, type DocumentNode, type FragmentDefinitionNode,
  type FieldNode, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { Pool, PoolClient } from 'pg';
import type { Setting } from '../db/settings';
import { queryPrepared } from '../db/prepared';
import { explainRecorder, type Explain } from '../db/explain';
import { isUnavailable } from '../db/unavailable';
import { PoolBusyError, SettingsError, queryWithSettings, withTransaction, type ConnectionControl } from '../db/transaction';
import { compileQuery, isMetaField, rootFields, type OperationInput } from '../sql/compile';
import type { CollectedField } from '../sql/selection';
import { finishJsonText, type Locate } from './json-text';
import type { Snapshot } from '../schema/snapshot';
import { asGraphQLError, cachedPlan, type DocumentCache, type PreparedDocument } from './documents';
import { templateStatement } from './templates';
import { errorBody, formatError, withErrors, type ErrorOptions } from './errors';
import { runMutation } from './mutation';
import { checkRequest } from './limits';

export interface GraphQLRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface RunOptions extends ErrorOptions {
  pool: Pool;
  settings: Setting[];
  signJwt?: (claims: Record<string, unknown>) => string;
  /** Only run queries (e.g. HTTP GET); mutations are refused. */
  queriesOnly?: boolean;
  /** The server's document cache (with the server's limits). */
  documents: DocumentCache;
  /** The bounded wait for a pooled connection, and the requester's "gone" signal. */
  connection?: ConnectionControl;
  /**
   * v4's Explain (allowed, and asked for with `X-PostGraphile-Explain: on`): the response gets
   * `explain: [{query, plan}]` for the statements the operation ran.
   */
  explain?: boolean;
}

export interface RunResult {
  /** The status GraphQL-over-HTTP gives for `application/graphql-response+json`. */
  status: number;
  /**
   * The status for plain `application/json`, as PostGraphile v4 answers: variable and
   * unknown-operation errors there are 200 (parse and validation errors stay 400).
   */
  compatStatus: number;
  body: string;
  /** The body's UTF-8 bytes when they are kept with a cached answer (introspection): sent as is. */
  bytes?: Buffer;
  operationName: string | null;
  operationType: string | null;
  errors: number;
}

export async function runOperation(snapshot: Snapshot, req: GraphQLRequest, opts: RunOptions): Promise<RunResult> {
  try {
    return await run(snapshot, req, opts);
  } catch (e) {
    // A document deep enough to overflow a recursive step (variables, compiling) is the client's.
    if (!(e instanceof RangeError)) throw e;
    return { status: 400, compatStatus: 400, body: errorBody([asGraphQLError(e).toJSON()]), operationName: null, operationType: null, errors: 1 };
  }
}

async function run(snapshot: Snapshot, req: GraphQLRequest, opts: RunOptions): Promise<RunResult> {
  // Once an operation is chosen, its answer carries the explain list, as v4's answers from
  // execution do (parse, validation and limit errors come before that and carry none).
  let explained: ReturnType<typeof explainRecorder> | undefined;
  let locate: Locate | undefined;
  // `finished`: the body is already the final text (JSON.stringify's, not the database's)
  const result = (status: number, body: string, op: OperationDefinitionNode | null = null, errors = 0, compatStatus = status, finished = false, bytes?: Buffer): RunResult => ({
    status, compatStatus, body: withExplain(finished ? body : finishJsonText(body, opts.signJwt, locate), explained?.results), operationName: op?.name?.value ?? null, operationType: op?.operation ?? null, errors,
    bytes: explained ? undefined : bytes,
  });
  if (typeof req.query !== 'string' || req.query.trim() === '') {
    return result(400, errorBody([{ message: 'Must provide a query string.' }]), null, 1);
  }
  if (req.variables != null && (typeof req.variables !== 'object' || Array.isArray(req.variables))) {
    return result(400, errorBody([{ message: `Variables must be an object, not '${Array.isArray(req.variables) ? 'array' : typeof req.variables}'.` }]), null, 1);
  }
  if (req.operationName != null && typeof req.operationName !== 'string') {
    return result(400, errorBody([{ message: `Operation name must be a string, not '${typeof req.operationName}'.` }]), null, 1);
  }
  const prepared = opts.documents.prepare(snapshot.generation, snapshot.schema, req.query);
  if (prepared.errors.length) return result(400, errorBody(prepared.errors.map((e) => e.toJSON())), null, prepared.errors.length);

  const ops = prepared.document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const opName = req.operationName as string | undefined;
  const op = opName ? ops.find((o) => o.name?.value === opName) : ops.length === 1 ? ops[0] : undefined;
  if (opts.explain) explained = explainRecorder();
  if (!op) {
    const message = opName ? `Unknown operation named "${opName}".` : 'Must provide operation name if query contains multiple operations.';
    return result(400, errorBody([{ message }]), null, 1, opName ? 200 : 400);
  }
  if (op.operation === 'subscription') {
    return result(405, errorBody([{ message: 'Subscriptions are served over WebSocket (graphql-ws) at this same URL.' }]), op, 1);
  }
  if (op.operation === 'mutation' && opts.queriesOnly) {
    return result(405, errorBody([{ message: 'Mutations must use POST.' }]), op, 1);
  }
  const coerced = getVariableValues(snapshot.schema, op.variableDefinitions ?? [], (req.variables ?? {}) as Record<string, unknown>);
  if (coerced.errors) return result(400, errorBody(coerced.errors.map((e) => e.toJSON())), op, coerced.errors.length, 200);
  const over = checkRequest(snapshot.schema, prepared.document, op, coerced.coerced, opts.documents.limits, prepared.pagedByVariables);
  if (over.length) {
    explained = undefined;
    return result(400, errorBody(over.map((e) => e.toJSON())), op, over.length);
  }
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of prepared.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  locate = (path) => fieldLocations(op, fragments, path);

  const input = {
    schema: snapshot.schema, model: snapshot.model, operation: op, fragments, variables: coerced.coerced,
    output: { dynamicJson: !!snapshot.options.dynamicJson },
  };
  try {
    const explain = explained?.explain;
    const { body, errors, finished, bytes }: Answer = op.operation === 'mutation'
      ? await runMutation(snapshot, input, prepared, opts, explain)
      : await runQuery(snapshot, input, prepared, opts, explain);
    return result(200, body, op, errors, 200, finished, bytes);
  } catch (e) {
    // No transaction to explain: v4 fails these before the operation runs, with no list.
    const early = e instanceof SettingsError || e instanceof PoolBusyError || isUnavailable(e);
    if (early) explained = undefined;
    if (e instanceof SettingsError || e instanceof PoolBusyError) return result(e.status, errorBody([formatError(e, undefined, opts)]), op, 1);
    if (isUnavailable(e)) return result(503, errorBody([formatError(e, undefined, opts)]), op, 1);
    return result(200, JSON.stringify({ errors: [formatError(e, undefined, opts)], data: null }), op, 1);
  }
}


/** The locations of the fields answering at a response path (every field merged under its key). */
function fieldLocations(op: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>, path: ReadonlyArray<string | number>) {
  let sets: readonly SelectionSetNode[] = [op.selectionSet];
  let nodes: FieldNode[] = [];
  for (const key of path) {
    if (typeof key === 'number') continue;
    nodes = [];
    const visit = (set: SelectionSetNode, seen: Set<string>) => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if ((s.alias ?? s.name).value === key) nodes.push(s);
        } else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet, seen);
        else if (!seen.has(s.name.value) && fragments[s.name.value]) visit(fragments[s.name.value].selectionSet, new Set([...seen, s.name.value]));
      }
    };
    for (const set of sets) visit(set, new Set());
    sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  }
  return nodes.length ? new GraphQLError('', { nodes }).locations : undefined;
}

/** The response text with v4's `explain` list after the data (the body is one JSON object). */
function withExplain(body: string, results: unknown[] | undefined): string {
  return results ? `${body.slice(0, body.lastIndexOf('}'))},"explain":${JSON.stringify(results)}}` : body;
}

/** The one query statement's data; with Explain in a transaction of its own, planned first. */
async function queryData(opts: RunOptions, text: string, values: unknown[], explain: Explain | undefined): Promise<string> {
  if (!explain) return (await queryWithSettings(opts.pool, opts.settings, text, values, opts.connection)).data;
  return withTransaction(opts.pool, opts.settings, async (client) => {
    await explain(client, text, values);
    return (await queryPrepared(client, text, values)).rows[0].data;
  }, opts.connection);
}

/** An operation's answer; `finished` when the body needs no finishing (see json-text.ts). */
interface Answer {
  body: string;
  errors: number;
  finished?: boolean;
  bytes?: Buffer;
}

async function runQuery(snapshot: Snapshot, input: OperationInput, prepared: PreparedDocument, opts: RunOptions, explain?: Explain): Promise<Answer> {
  // (the operation's own context is enough to collect its fields: no compiler until one compiles)
  const fields = rootFields(input, [input.operation.selectionSet]);
  const meta = fields.filter((f) => isMetaField(f.name));
  let metaData: Record<string, unknown> = {};
  const introspect = async () => execute({ schema: snapshot.schema, document: metaDocument(prepared.document, input.operation, meta), variableValues: input.variables });
  if (meta.length && meta.length === fields.length) {
    // Only introspection (GraphiQL asks on every load): its answer changes only with the schema,
    // so it is computed once per schema generation, which is the document cache's lifetime.
    return cachedPlan(prepared, `\0introspection\n${input.operation.name?.value ?? ''}\n${JSON.stringify(input.variables)}`, async () => {
      const r = await introspect();
      const body = JSON.stringify(r);
      // kept encoded too: the answer is large and the same for every request until the schema changes
      return { body, errors: r.errors?.length ?? 0, finished: true, bytes: Buffer.from(body) };
    });
  }
  if (meta.length) metaData = ((await introspect()).data ?? {}) as Record<string, unknown>;
  // Compile errors (bad cursor, bad nodeId) are per field, as v4 reports them; the common case
  // compiles once, and a failure is narrowed down field by field.
  const errors: unknown[] = [];
  const nodesOf = (key: string) => fields.find((f) => f.key === key)?.nodes;
  const dataKeys = fields.filter((f) => !isMetaField(f.name)).map((f) => f.key);
  let good = new Set(dataKeys);
  let statement: ReturnType<typeof compileQuery>;
  try {
    const operationKey = input.operation.name?.value ?? '';
    statement = templateStatement(prepared.templates, operationKey, input.variables, (variables) => compileQuery({ ...input, variables }, good))
      ?? cachedPlan(prepared, `${operationKey}\n${JSON.stringify(input.variables)}`, () => compileQuery(input, good));
  } catch {
    good = new Set();
    for (const key of dataKeys) {
      try {
        compileQuery(input, new Set([key]));
        good.add(key);
      } catch (e) {
        errors.push(formatError(e, [key], opts, nodesOf(key)));
      }
    }
    statement = compileQuery(input, good);
  }
  let data = '{}';
  try {
    if (good.size) {
      data = await queryData(opts, statement.text, statement.values, explain);
    }
  } catch (e) {
    // Cancelled (timeout, client gone) or no connection: running each field again would not help.
    if (e instanceof SettingsError || e instanceof PoolBusyError || (e as { code?: string }).code === '57014' || isUnavailable(e)) throw e;
    if (good.size === 1) {
      const [key] = good;
      errors.push(formatError(e, [key], opts, nodesOf(key)));
      data = JSON.stringify({ [key]: null });
    } else {
      // Find which root fields failed by running each on its own, as v4 would report them.
      data = await withTransaction(opts.pool, opts.settings, (client) => perField(client, input, good, errors, opts, nodesOf, explain), opts.connection);
    }
  }
  const metaKeys = new Set(meta.map((f) => f.key));
  const body = withErrors(assemble(fields.map((f) => f.key), data, metaData, metaKeys, good.size === dataKeys.length), errors);
  return { body, errors: errors.length };
}

/**
 * The operation with only its introspection root fields, for graphql-js to answer: data fields
 * never go through graphql-js here (a schema may carry resolvers that need a pgClient).
 */
function metaDocument(document: DocumentNode, op: OperationDefinitionNode, meta: CollectedField[]): DocumentNode {
  const selections = meta.flatMap((f) => f.nodes);
  const only: OperationDefinitionNode = { ...op, selectionSet: { kind: Kind.SELECTION_SET, selections } };
  return { ...document, definitions: [only, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] };
}

async function perField(
  client: PoolClient, input: OperationInput, keys: Set<string>, errors: unknown[], opts: RunOptions,
  nodesOf: (key: string) => readonly ASTNode[] | undefined, explain?: Explain,
): Promise<string> {
  const parts: Record<string, unknown> = {};
  for (const key of keys) {
    const st = compileQuery(input, new Set([key]));
    await client.query('savepoint forum_dev_field');
    await explain?.(client, st.text, st.values);
    try {
      const row = (await queryPrepared(client, st.text, st.values)).rows[0].data;
      parts[key] = JSON.parse(row)[key];
      await client.query('release savepoint forum_dev_field');
    } catch (e) {
      await client.query('rollback to savepoint forum_dev_field');
      parts[key] = null;
      errors.push(formatError(e, [key], opts, nodesOf(key)));
    }
  }
  return JSON.stringify(parts);
}

/** Builds the response text: SQL's data object, with any introspection fields put in order. */
function assemble(keys: string[], dataJson: string, meta: Record<string, unknown>, metaKeys: Set<string>, complete: boolean): string {
  let data = dataJson;
  if (metaKeys.size || !complete) {
    // Rare path (introspection mixed with data, or fields that failed to compile): merge in order.
    const parsed = JSON.parse(dataJson);
    const merged: Record<string, unknown> = {};
    for (const k of keys) merged[k] = metaKeys.has(k) ? meta[k] : (parsed[k] ?? null);
    data = JSON.stringify(merged);
  }
  return data;
}
