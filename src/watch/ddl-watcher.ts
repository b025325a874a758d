// Tells the server when the database schema changed. `listen` mode reads the event-trigger
// notifications (see install.ts) on a dedicated connection; `poll` mode, for roles that cannot
// have event triggers, compares a cheap catalog fingerprint. Both feed one coalescing queue so a
// migration of many statements causes one reload, and reloads never overlap.
import { Client } from 'pg';
import { watchChannel } from './install';

export type DdlEvent = {
  type: 'ddl' | 'drop' | 'manual' | 'reconnect' | 'poll';
  schema?: string | null;
  command?: string;
  identity?: string;
};

export type DdlWatcherOptions = {
  connection: string;
  schemas: string[];
  onChange: (events: DdlEvent[]) => Promise<void>;
  log?: (line: string) => void;
  /** Quiet time after the last event before onChange runs. Default 10 ms. */
  debounceMs?: number;
  /** Longest an event waits while more keep arriving. Default 250 ms. */
  maxWaitMs?: number;
  /** Poll mode: time between fingerprint queries. Default 1000 ms. */
  pollIntervalMs?: number;
  mode: 'listen' | 'poll';
  /** Shown in pg_stat_activity. Default `forum-dev-watch`. */
  applicationName?: string;
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
    const o = item as { schema?: unknown; command?: unknown; identity?: unknown };
    return {
      type,
      schema: typeof o.schema === 'string' ? o.schema : null,
      command: typeof o.command === 'string' ? o.command : undefined,
      identity: typeof o.identity === 'string' ? o.identity : undefined,
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

type Queue = { push(events: DdlEvent[]): void; stop(): Promise<void> };

// Debounced, never-overlapping, never-losing runner around onChange.
function createQueue(opts: DdlWatcherOptions, log: (line: string) => void): Queue {
  const debounceMs = opts.debounceMs ?? 10;
  const maxWaitMs = opts.maxWaitMs ?? 250;
  let pending: DdlEvent[] = [];
  let firstAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  function schedule(): void {
    if (stopped || running || pending.length === 0) return;
    if (timer) clearTimeout(timer);
    const wait = Math.max(0, Math.min(debounceMs, firstAt + maxWaitMs - Date.now()));
    timer = setTimeout(flush, wait);
  }

  function flush(): void {
    timer = undefined;
    if (stopped || running || pending.length === 0) return;
    const batch = pending;
    pending = [];
    firstAt = 0;
    running = (async () => {
      try {
        await opts.onChange(batch);
      } catch (err) {
        log(`schema reload failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    })().finally(() => {
      running = undefined;
      schedule();
    });
  }

  return {
    push(events) {
      if (stopped || events.length === 0) return;
      if (pending.length === 0) firstAt = Date.now();
      pending.push(...events);
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Start watching; call `stop()` to close the connection and wait for a running onChange. */
export function startDdlWatcher(opts: DdlWatcherOptions): { stop(): Promise<void> } {
  const log = (line: string): void => {
    try {
      opts.log?.(line);
    } catch {
      // A failing logger must not take the watcher down.
    }
  };
  const queue = createQueue(opts, log);
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  let stopped = false;
  let client: Client | undefined;
  let backoff = 100;
  let retryTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let everConnected = false;
  let fingerprint: string | undefined;
  let connecting: Promise<void> | undefined;
  let pendingClient: Client | undefined;

  function dropClient(c: Client, why: string): void {
    if (client !== c) return;
    client = undefined;
    if (pollTimer) clearTimeout(pollTimer);
    c.removeAllListeners('notification');
    c.end().catch(() => undefined);
    if (stopped) return;
    log(`schema watch connection lost (${why}); reconnecting in ${backoff} ms`);
    retryLater();
  }

  function retryLater(): void {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connecting = connect();
    }, backoff);
    backoff = Math.min(backoff * 2, 5000);
  }

  async function connect(): Promise<void> {
    const c = new Client({
      connectionString: opts.connection,
      application_name: opts.applicationName ?? 'forum-dev-watch',
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    pendingClient = c;
    c.on('error', (err) => dropClient(c, err.message));
    c.on('end', () => dropClient(c, 'connection ended'));
    try {
      await c.connect();
      if (opts.mode === 'listen') {
        c.on('notification', (n) => {
          if (n.channel !== watchChannel) return;
          const events = parseNotification(n.payload);
          if (isRelevant(events, opts.schemas)) queue.push(events);
        });
        await c.query(`listen ${watchChannel}`);
      } else {
        const { rows } = await c.query<{ fingerprint: string }>(fingerprintSql, [opts.schemas]);
        // A changed fingerprint across a reconnect still counts as a change.
        if (fingerprint !== undefined && rows[0].fingerprint !== fingerprint) queue.push([{ type: 'poll' }]);
        fingerprint = rows[0].fingerprint;
      }
    } catch (err) {
      pendingClient = undefined;
      c.removeAllListeners('end');
      c.end().catch(() => undefined);
      if (stopped) return;
      log(`schema watch cannot connect (${(err as Error).message}); retrying in ${backoff} ms`);
      retryLater();
      return;
    }
    pendingClient = undefined;
    if (stopped) {
      c.end().catch(() => undefined);
      return;
    }
    client = c;
    backoff = 100;
    // Notifications sent while disconnected are gone: re-read everything.
    if (everConnected && opts.mode === 'listen') queue.push([{ type: 'reconnect' }]);
    if (everConnected) log('schema watch reconnected');
    everConnected = true;
    if (opts.mode === 'poll') pollTimer = setTimeout(() => void poll(c), pollIntervalMs);
  }

  async function poll(c: Client): Promise<void> {
    if (stopped || client !== c) return;
    try {
      const { rows } = await c.query<{ fingerprint: string }>(fingerprintSql, [opts.schemas]);
      const next = rows[0].fingerprint;
      if (fingerprint !== undefined && next !== fingerprint) queue.push([{ type: 'poll' }]);
      fingerprint = next;
    } catch (err) {
      if (!stopped) log(`schema poll failed: ${(err as Error).message}`);
    }
    if (!stopped && client === c) pollTimer = setTimeout(() => void poll(c), pollIntervalMs);
  }

  connecting = connect();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (pollTimer) clearTimeout(pollTimer);
      pendingClient?.end().catch(() => undefined);
      await connecting;
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
      await queue.stop();
    },
  };
}
