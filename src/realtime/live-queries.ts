// Live queries: `subscription { live { …a query… } }`. The `live` selection runs as a query
// operation with the subscriber's own settings (so row-level security holds), the result is
// sent, and the query runs again whenever rows of a table it reads change. Change capture is a
// statement-level trigger per exposed table (NOTIFY `forum_dev_live`, received through the notify
// hub); without the privilege to install them, live queries are polled instead.
//
// Subscribers with the same query text, variables and settings (role and claims) form one group
// that runs once per change and fans the result out; runs are throttled per group and a result
// is only sent when its text differs from the last one.
import {
  Kind, getOperationAST, print, type DocumentNode, type ExecutionArgs, type ExecutionResult,
  type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { LISTEN_FIELD } from '../schema/subscriptions';
import { standaloneQuery } from './query-document';
import { createStream, errorResult, type Stream } from './stream';
import { installLiveTriggers, LIVE_CHANNEL } from './live-triggers';
import { createLiveThrottle } from './live-throttle';
import { liveTables, tablesRead, type TablesRead } from './live-tables';
import type { NotifyHub } from './notify-hub';
import { runOperation, type RunOptions } from '../execute/operation';
import type { LiveSchema } from '../schema/snapshot';

export interface LiveQueriesOptions {
  live: LiveSchema;
  hub: NotifyHub;
  /** Connection allowed to create triggers on the exposed tables; none means polling. */
  ownerConnection: string | undefined;
  /** Minimum time between two runs of one live query (default 100 ms, so at most 10 per second). */
  intervalMs?: number;
  /** Re-run period when triggers cannot be installed (default 1000 ms). */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface LiveSubscribeContext {
  run: Omit<RunOptions, 'queriesOnly'>;
  /** Raw variables as the client sent them. */
  variables: Record<string, unknown> | undefined;
  /** JWT `exp` (seconds) of the connection's token, if any: the subscription ends then. */
  exp?: number;
}

export interface LiveQueriesDebug {
  /** Query runs so far, over all groups. */
  executions: number;
  groups: number;
  subscribers: number;
  capture: 'starting' | 'triggers' | 'poll';
}

export interface LiveQueries {
  subscribe(args: ExecutionArgs, ctx: LiveSubscribeContext): Promise<Stream<ExecutionResult> | ExecutionResult>;
  /** Resolves once change capture is installed (or polling was chosen) for the current schema. */
  ready(): Promise<void>;
  readonly debug: LiveQueriesDebug;
  close(): Promise<void>;
}

interface Subscriber {
  key: string;
  deliver(result: ParsedBody): void;
}

interface Group {
  id: string;
  query: string;
  variables: Record<string, unknown>;
  run: Omit<RunOptions, 'queriesOnly'>;
  selectionSet: SelectionSetNode;
  fragments: Record<string, FragmentDefinitionNode>;
  tables: TablesRead;
  lastBody?: string;
  last?: ParsedBody;
  subscribers: Set<Subscriber>;
}

type ParsedBody = { data?: unknown; errors?: Array<Record<string, unknown>> };

const fail = errorResult;

function collectFragments(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return fragments;
}

/** The subscription's root field, looking through fragments on `Subscription`. */
export function rootField(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>): FieldNode | undefined {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (!s.name.value.startsWith('__')) return s;
      continue;
    }
    const inner = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : fragments[s.name.value]?.selectionSet;
    const f = inner && rootField(inner, fragments);
    if (f) return f;
  }
  return undefined;
}

/** Whether `document`'s chosen operation is a live query: any subscription field but `listen`. */
export function isLiveOperation(document: DocumentNode, operationName?: string | null): boolean {
  const op = getOperationAST(document, operationName ?? undefined);
  const field = op?.operation === 'subscription' ? rootField(op.selectionSet, collectFragments(document)) : undefined;
  return !!field && field.name.value !== LISTEN_FIELD;
}

/** `query Name($used…) { <the live field> }` with the fragments it uses: valid on its own. */
function liveDocument(op: OperationDefinitionNode, field: FieldNode, fragments: Record<string, FragmentDefinitionNode>): DocumentNode {
  return standaloneQuery(op, [field], fragments);
}

export function createLiveQueries(o: LiveQueriesOptions): LiveQueries {
  const log = o.log ?? (() => undefined);
  const groups = new Map<string, Group>();
  const debug: LiveQueriesDebug = { executions: 0, groups: 0, subscribers: 0, capture: 'starting' };
  const throttle = createLiveThrottle({
    minIntervalMs: o.intervalMs,
    onError: (_key, err) => log(`live query failed: ${(err as Error)?.message ?? String(err)}`),
  });
  let closed = false;
  let hubRelease: (() => Promise<void>) | null = null;
  let pollTimer: NodeJS.Timeout | null = null;

  // --- change capture ---
  let installs: Promise<void> = Promise.resolve();
  const install = (): Promise<void> => {
    installs = installs.then(async () => {
      if (closed) return;
      const model = o.live.current().model;
      const r = o.ownerConnection
        ? await installLiveTriggers(o.ownerConnection, liveTables(model))
        : { ok: false as const, reason: 'no connection to install them with' };
      if (r.ok) debug.capture = 'triggers';
      else {
        if (debug.capture !== 'poll') log(`live: cannot install change triggers (${r.reason}); re-running live queries every ${o.pollMs ?? 1000} ms instead`);
        debug.capture = 'poll';
      }
      syncCapture();
    }).catch((err: unknown) => {
      // The chain must go on (and never reject unhandled): the next install tries again.
      log(`live: installing change triggers failed: ${(err as Error)?.message ?? String(err)}`);
    });
    return installs;
  };

  const rerun = (g: Group) => throttle.schedule(g.id, () => execute(g));
  const rerunAll = () => {
    for (const g of groups.values()) rerun(g);
  };

  const onChange = (table: string) => {
    for (const g of groups.values()) if (g.tables === 'any' || g.tables.has(table)) rerun(g);
  };

  /** LISTEN while live queries exist (any change mode, so a later install takes effect); poll if needed. */
  function syncCapture(): void {
    const want = groups.size > 0 && !closed;
    if (want && !hubRelease) hubRelease = o.hub.subscribe(LIVE_CHANNEL, onChange, rerunAll);
    if (!want && hubRelease) {
      const release = hubRelease;
      hubRelease = null;
      void release().catch(() => undefined);
    }
    const poll = want && debug.capture === 'poll';
    if (poll && !pollTimer) pollTimer = setInterval(rerunAll, o.pollMs ?? 1000);
    if (!poll && pollTimer) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  async function execute(g: Group): Promise<void> {
    if (groups.get(g.id) !== g) return;
    const r = await runOperation(o.live.current(), { query: g.query, variables: g.variables }, g.run);
    debug.executions++;
    if (groups.get(g.id) !== g || r.body === g.lastBody) return;
    g.lastBody = r.body;
    g.last = JSON.parse(r.body) as ParsedBody;
    for (const s of g.subscribers) s.deliver(g.last);
  }

  // Reloads: recompute which tables each query reads and put triggers on new tables. A query
  // that no longer validates is ended by the subscription guard; here it is merely left alone.
  const stopSwap = o.live.onSwap((next) => {
    for (const g of groups.values()) g.tables = tablesRead(next.schema, g.selectionSet, g.fragments);
    void install();
    rerunAll();
  });
  void install();

  function leave(g: Group, s: Subscriber): void {
    if (!g.subscribers.delete(s)) return;
    debug.subscribers--;
    if (g.subscribers.size > 0 || groups.get(g.id) !== g) return;
    groups.delete(g.id);
    debug.groups = groups.size;
    throttle.cancel(g.id);
    syncCapture();
  }

  async function subscribe(args: ExecutionArgs, ctx: LiveSubscribeContext): Promise<Stream<ExecutionResult> | ExecutionResult> {
    if (closed) return fail('The server is shutting down.');
    const op = getOperationAST(args.document, args.operationName);
    const fragments = collectFragments(args.document);
    const field = op && rootField(op.selectionSet, fragments);
    if (!op || !field || field.name.value === LISTEN_FIELD) return fail('Not a live query.');
    const doc = liveDocument(op, field, fragments);
    // Read as a selection on Query, where the field's plans are.
    const rootSet: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [field] };
    const query = print(doc);
    const variables: Record<string, unknown> = {};
    for (const d of (doc.definitions[0] as OperationDefinitionNode).variableDefinitions ?? []) {
      const name = d.variable.name.value;
      if (ctx.variables && name in ctx.variables) variables[name] = ctx.variables[name];
    }
    const id = JSON.stringify([query, variables, ctx.run.settings]);
    let g = groups.get(id);
    const created = !g;
    if (!g) {
      g = {
        id, query, variables, run: ctx.run, selectionSet: rootSet, fragments: collectFragments(doc),
        tables: tablesRead(args.schema, rootSet, fragments), subscribers: new Set(),
      };
      groups.set(id, g);
      debug.groups = groups.size;
    }
    const group = g;
    const key = field.alias?.value ?? field.name.value;

    // Only the newest result matters to a live query: a slow reader skips intermediate ones.
    const stream = createStream<ExecutionResult>({
      resolve: (result) => result,
      latestOnly: true,
      exp: ctx.exp,
      onClose: () => leave(group, sub),
    });
    const sub: Subscriber = {
      key,
      // The query's answer is the subscription's: same root field, same key.
      deliver: (body) => stream.push(body as ExecutionResult),
    };
    group.subscribers.add(sub);
    debug.subscribers++;
    syncCapture();
    // Changes committed once the client has its first result must reach it: listen first.
    await o.hub.ready();
    if (group.last) sub.deliver(group.last);
    else if (created) rerun(group);
    return stream;
  }

  return {
    subscribe,
    ready: async () => {
      await installs;
      await o.hub.ready();
    },
    debug,
    async close() {
      closed = true;
      stopSwap();
      for (const g of groups.values()) throttle.cancel(g.id);
      groups.clear();
      syncCapture();
      await installs;
    },
  };
}
