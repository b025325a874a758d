// Simple subscriptions' `listen(topic)`: LISTEN on `postgraphile:<topic>` through the shared
// notify hub and, per notification, resolve the client's payload selection as one query
// operation run with the subscriber's own settings (so row-level security sees who is asking).
import {
  Kind, getOperationAST, print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type FieldNode,
  type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode, type SelectionSetNode,
  GraphQLError, type VariableDefinitionNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { encodeNodeId } from '../sql/node-id';
import { LISTEN_CHANNEL_PREFIX, LISTEN_FIELD } from '../schema/subscriptions';
import type { NotifyHub } from './notify-hub';
import { runOperation, type RunOptions } from '../execute/operation';
import { standaloneQuery } from './query-document';
import { createStream, errorResult, type Stream } from './stream';
import type { LiveSchema } from '../schema/snapshot';
import type { SchemaPlan } from '../schema/plans';

export interface ListenContext {
  live: LiveSchema;
  hub: NotifyHub;
  run: Omit<RunOptions, 'queriesOnly'>;
  /** Raw variables as the client sent them. */
  variables: Record<string, unknown> | undefined;
  /** JWT `exp` (seconds) of the connection's token, if any: the subscription ends then. */
  exp?: number;
  /** This server's executions in flight. */
  shared: SharedRuns;
}

const NODE_VAR = '__forumDevNodeId';
const fail = errorResult;

/** The fields of a selection set with fragments inlined (one level: the payload object). */
function flatFields(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, out: FieldNode[] = []): FieldNode[] {
  for (const s of set.selections as readonly SelectionNode[]) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) flatFields(s.selectionSet, fragments, out);
    else if (fragments[s.name.value]) flatFields(fragments[s.name.value].selectionSet, fragments, out);
  }
  return out;
}

/** The node id v4 derives from a notification's `{"__node__": ["posts", 1]}`. */
export function relatedNodeId(payload: string | null): string | null {
  if (!payload) return null;
  try {
    const node = (JSON.parse(payload) as { __node__?: unknown })?.__node__;
    if (Array.isArray(node) && typeof node[0] === 'string') return encodeNodeId(node[0], node.slice(1));
  } catch {
    // Not JSON: a plain event with no related node.
  }
  return null;
}

/**
 * The query document answering one event: `query { <key>: query { … } <key>: node(nodeId: $id) { … } }`,
 * with only the variables and fragments those selections use (so it validates on its own).
 */
function eventDocument(op: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>, fields: FieldNode[], withNode: boolean, nodeIdField: string): DocumentNode | null {
  const selections: FieldNode[] = [];
  for (const f of fields) {
    const key = f.alias?.value ?? f.name.value;
    const alias = { kind: Kind.NAME, value: key } as const;
    if (f.name.value === 'query') {
      selections.push({ ...f, alias, name: { kind: Kind.NAME, value: 'query' } });
    } else if (f.name.value === 'relatedNode' && withNode) {
      selections.push({
        ...f, alias, name: { kind: Kind.NAME, value: 'node' },
        arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: nodeIdField }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: NODE_VAR } } }],
      });
    }
  }
  if (!selections.length) return null;
  const nodeVar: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: NODE_VAR } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  return standaloneQuery(op, selections, fragments, [nodeVar]);
}

/** The two query texts an event may need (with and without a related node), printed once. */
interface EventQueries { withNode: string | null; withoutNode: string | null }

function eventQueries(op: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>, fields: FieldNode[], nodeIdField: string): EventQueries {
  const text = (withNode: boolean) => {
    const doc = eventDocument(op, fragments, fields, withNode, nodeIdField);
    return doc ? print(doc) : null;
  };
  return { withNode: text(true), withoutNode: text(false) };
}

/**
 * Executions in flight, per server: subscribers asking the same thing of the same event, as the
 * same role with the same claims, share one (a NOTIFY to 1,000 anonymous subscribers runs one
 * query, not 1,000).
 */
export type SharedRuns = Map<string, Promise<string>>;

function runShared(ctx: ListenContext, query: string, variables: Record<string, unknown>): Promise<string> {
  const snapshot = ctx.live.current();
  const inflight = ctx.shared;
  const key = JSON.stringify([snapshot.generation, query, variables, ctx.run.settings]);
  let p = inflight.get(key);
  if (!p) {
    p = runOperation(snapshot, { query, variables }, ctx.run).then((r) => r.body);
    inflight.set(key, p);
    // Shared only while it runs: a later event runs afresh.
    const forget = () => inflight.delete(key);
    p.then(forget, forget);
  }
  return p;
}

async function resolveEvent(
  ctx: ListenContext, queries: EventQueries, listenKey: string, fields: FieldNode[], payload: string | null,
): Promise<ExecutionResult> {
  const nodeId = relatedNodeId(payload);
  const query = nodeId !== null ? queries.withNode : queries.withoutNode;
  let data: Record<string, unknown> = {};
  let errors: Array<Record<string, unknown>> = [];
  if (query) {
    const body = await runShared(ctx, query, { ...ctx.variables, [NODE_VAR]: nodeId });
    const parsed = JSON.parse(body) as { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> };
    data = parsed.data ?? {};
    errors = (parsed.errors ?? []).map((e) => ({ ...e, path: [listenKey, ...((e.path as unknown[]) ?? [])] }));
  }
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const key = f.alias?.value ?? f.name.value;
    if (f.name.value === '__typename') out[key] = 'ListenPayload';
    else if (f.name.value === 'relatedNodeId') out[key] = nodeId;
    else if (f.name.value === 'relatedNode' && nodeId === null) out[key] = null;
    else if (f.name.value === 'query' || f.name.value === 'relatedNode') out[key] = data[key] ?? null;
  }
  const result = { data: { [listenKey]: out } } as ExecutionResult;
  if (errors.length) (result as { errors: unknown }).errors = errors;
  return result;
}

/** graphql-ws's `subscribe` for a `listen` operation: an async iterator of payload results. */
export async function subscribeListen(args: ExecutionArgs, ctx: ListenContext): Promise<Stream<string | null> | ExecutionResult> {
  const op = getOperationAST(args.document, args.operationName);
  const subscription = args.schema.getSubscriptionType();
  if (!op || !subscription) return fail('No subscription operation to run.');
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of args.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const root = flatFields(op.selectionSet, fragments).find((f) => f.name.value === LISTEN_FIELD);
  if (!root) return fail('Only `listen` subscriptions are supported.');
  const vars = getVariableValues(args.schema, op.variableDefinitions ?? [], ctx.variables ?? {});
  if (vars.errors) return { errors: vars.errors };
  let argv: Record<string, unknown>;
  try {
    argv = getArgumentValues(subscription.getFields()[LISTEN_FIELD], root, vars.coerced);
  } catch (e) {
    return { errors: [e as GraphQLError] };
  }
  const listenKey = root.alias?.value ?? root.name.value;
  const fields = root.selectionSet ? flatFields(root.selectionSet, fragments) : [];
  // `node`'s argument is the global id's name (`id` with --classic-ids)
  const nodeIdField = (args.schema.extensions.forumDev as SchemaPlan | undefined)?.nodeIdField ?? 'nodeId';
  const queries = eventQueries(op, fragments, fields, nodeIdField);

  let unsubscribe: () => Promise<void> = async () => undefined;
  const stream = createStream<string | null>({
    resolve: (payload) => resolveEvent(ctx, queries, listenKey, fields, payload),
    exp: ctx.exp,
    onClose: () => unsubscribe(),
  });
  try {
    unsubscribe = ctx.hub.subscribe(LISTEN_CHANNEL_PREFIX + String(argv.topic), (payload) => stream.push(payload));
  } catch (e) {
    await stream.return!();
    return fail((e as Error).message);
  }
  // Notifications sent after the client hears back (initial event or not) must be delivered.
  await ctx.hub.ready();
  if (argv.initialEvent) stream.push(null);
  return stream;
}
