// Tells the server when the database schema changed. `listen` mode reads the event-trigger
// notifications (see install.ts) through the server's one LISTEN connection (the notify hub);
// `poll` mode, for roles that cannot have event triggers, compares a cheap catalog fingerprint
// over the pool. Both feed the one coalescing queue in front of the reload, so a migration of
// many statements causes one reload, and reloads never overlap.
import type { Pool } from 'pg';
import type { NotifyHub } from '../realtime/notify-hub';
import { watchChannel } from './install';

export type DdlEvent = {
  /** `tags`: the smart tags file changed (not DDL, but reloaded the same way). */
  type: 'ddl' | 'drop' | 'manual' | 'reconnect' | 'poll' | 'tags';
  schema?: string | null;
  command?: string;
  identity?: string;
  /** What the identity names (`table`, `table column`, `default value`...), from our triggers. */
  objectType?: string;
};

export type DdlWatcherOptions = {
  /** Where events come from: notifications through the hub, or fingerprints polled over a pool. */
  source: { mode: 'listen'; hub: NotifyHub } | { mode: 'poll'; pool: Pool };
  schemas: string[];
  onChange: (events: DdlEvent[]) => Promise<void>;
  log?: (line: string) => void;
  /**
   * Quiet time after the last event before onChange runs. Default 0: onChange runs once the I/O
   * being handled is done, and the notifications of one transaction arrive together; whatever
   * arrives while a reload runs is coalesced into the next one anyway, so a wait mostly delays
   * every reload (a 2 ms timer fired 3-4 ms late while clients polled).
   */
  debounceMs?: number;
  /** With a `debounceMs`: the longest an event waits while more keep arriving. Default 250 ms. */
  maxWaitMs?: number;
  /** Poll mode: time between fingerprint queries. Default 1000 ms. */
  pollIntervalMs?: number;
};

/**
 * One md5 over the identity and xmin of every catalog row the GraphQL schema is built from, for
 * the schemas in $1. Any DDL that commits rewrites (new xmin) or adds/removes at least one of
 * these rows: ADD COLUMN adds a pg_attribute row and updates pg_class, COMMENT writes
 * pg_description, ALTER TYPE ADD VALUE adds a pg_enum row, GRANT rewrites an *acl column.
 */
export const fingerprintSql = `
with ns as (
  select oid, xmin from pg_catalog.pg_namespace where nspname = any($1::text[])
), cls as (
  select oid, xmin from pg_catalog.pg_class where relnamespace in (select oid from ns)
), procs as (
  select oid, xmin from pg_catalog.pg_proc where pronamespace in (select oid from ns)
), types as (
  select oid, xmin from pg_catalog.pg_type where typnamespace in (select oid from ns)
), cons as (
  select oid, xmin from pg_catalog.pg_constraint where connamespace in (select oid from ns)
), objs as (
  select oid from ns union all select oid from cls union all select oid from procs
  union all select oid from types union all select oid from cons
)
select md5(concat_ws('|',
  (select string_agg(oid::text || ':' || xmin::text, ',' order by oid) from ns),
  (select string_agg(oid::text || ':' || xmin::text, ',' order by oid) from cls),
  (select string_agg(a.attrelid::text || '.' || a.attnum::text || ':' || a.xmin::text, ','
     order by a.attrelid, a.attnum)
   from pg_catalog.pg_attribute a where a.attrelid in (select oid from cls) and a.attnum > 0),
  (select string_agg(oid::text || ':' || xmin::text, ',' order by oid) from procs),
  (select string_agg(oid::text || ':' || xmin::text, ',' order by oid) from types),
  (select string_agg(e.oid::text || ':' || e.xmin::text, ',' order by e.oid)
   from pg_catalog.pg_enum e where e.enumtypid in (select oid from types)),
  (select string_agg(oid::text || ':' || xmin::text, ',' order by oid) from cons),
  (select string_agg(d.classoid::text || '.' || d.objoid::text || '.' || d.objsubid::text || ':' || d.xmin::text, ','
     order by d.classoid, d.objoid, d.objsubid)
   from pg_catalog.pg_description d where d.objoid in (select oid from objs)),
  (select string_agg(p.oid::text || ':' || p.xmin::text, ',' order by p.oid)
   from pg_catalog.pg_policy p where p.polrelid in (select oid from cls)),
  (select string_agg(m.roleid::text || '.' || m.member::text || ':' || m.xmin::text, ',' order by m.roleid, m.member)
   from pg_catalog.pg_auth_members m)
)) as fingerprint
`;

type Notification = { type?: unknown; payload?: unknown; truncated?: unknown };

/** Parse one notification payload (ours or PostGraphile v4's) into events; [] if malformed. */
export function parseNotification(text: string | undefined): DdlEvent[] {
  let msg: Notification;
  try {
    msg = JSON.parse(text ?? '') as Notification;
  } catch {
    return [];
  }
  if (!msg || typeof msg !== 'object') return [];
  const type = msg.type;
  if (type === 'manual') return [{ type: 'manual' }];
  if (type !== 'ddl' && type !== 'drop') return [];
  const items = Array.isArray(msg.payload) ? msg.payload : [];
  const events: DdlEvent[] = items.map((item: unknown) => {
    // v4's drop payload is a list of schema names.
    if (typeof item === 'string' || item === null) return { type, schema: item };
    const o = item as { schema?: unknown; command?: unknown; identity?: unknown; object_type?: unknown };
    return {
      type,
      schema: typeof o.schema === 'string' ? o.schema : null,
      command: typeof o.command === 'string' ? o.command : undefined,
      identity: typeof o.identity === 'string' ? o.identity : undefined,
      ...(typeof o.object_type === 'string' ? { objectType: o.object_type } : {}),
    };
  });
  // A truncated list may have dropped the relevant entries: treat it as schema-less.
  if (msg.truncated === true || events.length === 0) events.push({ type, schema: null });
  return events;
}

/** Whether any event may affect the exposed schemas (no schema, e.g. GRANT, counts). */
export function isRelevant(events: DdlEvent[], schemas: string[]): boolean {
  return events.some((e) => e.schema == null || schemas.includes(e.schema));
}

type Queue = { push(events: DdlEvent[]): Promise<void>; stop(): Promise<void> };

// Debounced, never-overlapping, never-losing runner around onChange.
function createQueue(opts: DdlWatcherOptions, log: (line: string) => void): Queue {
  const debounceMs = opts.debounceMs ?? 0;
  const maxWaitMs = opts.maxWaitMs ?? 250;
  let pending: DdlEvent[] = [];
  // Settled when the batch now pending has run (whoever pushed into it waits for that).
  let pendingDone: { promise: Promise<void>; resolve: () => void } | undefined;
  let firstAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  function schedule(): void {
    if (stopped || running || pending.length === 0) return;
    cancel();
    const wait = Math.max(0, Math.min(debounceMs, firstAt + maxWaitMs - Date.now()));
    if (wait === 0) immediate = setImmediate(flush);
    else timer = setTimeout(flush, wait);
  }

  function cancel(): void {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = immediate = undefined;
  }

  function flush(): void {
    timer = immediate = undefined;
    if (stopped || running || pending.length === 0) return;
    const batch = pending;
    const batchDone = pendingDone;
    pending = [];
    pendingDone = undefined;
    firstAt = 0;
    running = (async () => {
      try {
        await opts.onChange(batch);
      } catch (err) {
        log(`schema reload failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    })().finally(() => {
      running = undefined;
      batchDone?.resolve();
      schedule();
    });
  }

  return {
    push(events) {
      if (stopped || events.length === 0) return Promise.resolve();
      if (pending.length === 0) firstAt = Date.now();
      pending.push(...events);
      if (!pendingDone) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => { resolve = r; });
        pendingDone = { promise, resolve };
      }
      const done = pendingDone.promise;
      schedule();
      return done;
    },
    async stop() {
      stopped = true;
      cancel();
      await running;
      pendingDone?.resolve();
    },
  };
}

export interface DdlWatcher {
  /** Queues events as if they had been notified; resolves once the reload that took them ran. */
  push(events: DdlEvent[]): Promise<void>;
  /** Stops listening or polling and waits for a running onChange. */
  stop(): Promise<void>;
}

export function startDdlWatcher(opts: DdlWatcherOptions): DdlWatcher {
  const log = (line: string): void => {
    try {
      opts.log?.(line);
    } catch {
      // A failing logger must not take the watcher down.
    }
  };
  const queue = createQueue(opts, log);
  const source = opts.source;
  if (source.mode === 'listen') {
    // The hub reconnects; notifications sent while it was away are lost, so re-read everything.
    const unsubscribe = source.hub.subscribe(watchChannel, (payload) => {
      const events = parseNotification(payload);
      if (isRelevant(events, opts.schemas)) void queue.push(events);
    }, () => void queue.push([{ type: 'reconnect' }]));
    return {
      push: (events) => queue.push(events),
      async stop() {
        await unsubscribe();
        await queue.stop();
      },
    };
  }

  const pool = source.pool;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  let stopped = false;
  let fingerprint: string | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let failing = false;
  async function poll(): Promise<void> {
    try {
      const { rows } = await pool.query<{ fingerprint: string }>(fingerprintSql, [opts.schemas]);
      const next = rows[0].fingerprint;
      // A changed fingerprint across an outage still counts as a change.
      if (fingerprint !== undefined && next !== fingerprint) void queue.push([{ type: 'poll' }]);
      fingerprint = next;
      if (failing) log('schema poll works again');
      failing = false;
    } catch (err) {
      if (!stopped && !failing) log(`schema poll failed (retrying every ${pollIntervalMs} ms): ${(err as Error).message}`);
      failing = true;
    }
    if (!stopped) pollTimer = setTimeout(() => { polling = poll(); }, pollIntervalMs);
  }
  polling = poll();
  return {
    push: (events) => queue.push(events),
    async stop() {
      stopped = true;
      if (pollTimer) clearTimeout(pollTimer);
      await polling;
      await queue.stop();
    },
  };
}
