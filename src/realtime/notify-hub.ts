// One LISTEN connection shared by every subscription (simple subscriptions' `postgraphile:*`
// topics and live-query change capture). Channels are LISTENed while they have subscribers;
// a single reconciling worker issues LISTEN/UNLISTEN so rapid subscribe/unsubscribe always
// converges on "listening exactly to the channels that have subscribers".
import { Client, type Notification } from 'pg';
import { isUnavailable } from '../db/unavailable';

export interface NotifyHub {
  /** Returns the unsubscribe function; it resolves once the channel's LISTEN state is settled. */
  subscribe(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): () => Promise<void>;
  /** Unsubscribes everyone and ends the connection; later subscribe calls throw. */
  close(): Promise<void>;
  /** Channels that currently have at least one subscriber. */
  readonly channels: ReadonlySet<string>;
  /** Resolves when every pending LISTEN/UNLISTEN has been issued (waits through reconnects). */
  ready(): Promise<void>;
  /** `pg_listening_channels()` of the hub's connection, sorted; [] while disconnected. */
  debugListeningChannels(): Promise<string[]>;
}

export interface NotifyHubOptions {
  connection: string;
  log?: (line: string) => void;
  /** Shown in pg_stat_activity. Default `forum-dev-notify`. */
  applicationName?: string;
}

interface Subscriber {
  onMessage: (payload: string) => void;
  onReconnect: (() => void) | undefined;
}

export const NOTIFY_APPLICATION_NAME = 'forum-dev-notify';
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
// PostgreSQL truncates identifiers to NAMEDATALEN-1 bytes, so a longer channel could never match.
const MAX_CHANNEL_BYTES = 63;

/** A channel name as a quoted identifier: `postgraphile:topic` needs quoting for its colon. */
export function quoteChannel(channel: string): string {
  return '"' + channel.replace(/"/g, '""') + '"';
}

// An error without a SQLSTATE (a socket error) or one saying the database is away: reconnect.
function isConnectionError(err: unknown): boolean {
  return typeof (err as { code?: unknown }).code !== 'string' || isUnavailable(err);
}

export function createNotifyHub(opts: NotifyHubOptions): NotifyHub {
  const log = opts.log ?? (() => undefined);
  const subs = new Map<string, Set<Subscriber>>();
  const channels = new Set<string>();
  const listened = new Set<string>();
  const dirty = new Set<string>();

  let client: Client | null = null;
  let connectedAt = 0;
  let backoff = MIN_BACKOFF_MS;
  let delayNextConnect = false;
  let reconnectPending = false;
  let closed = false;
  let worker: Promise<void> | null = null;
  let sleepTimer: NodeJS.Timeout | null = null;
  let wakeSleeper: (() => void) | null = null;

  function deliver(msg: Notification): void {
    const set = subs.get(msg.channel);
    if (!set) return;
    const payload = msg.payload ?? '';
    for (const sub of set) {
      try {
        sub.onMessage(payload);
      } catch (err) {
        log(`notify: subscriber of ${msg.channel} threw: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }

  function lost(c: Client, err?: unknown): void {
    if (c !== client) return;
    client = null;
    listened.clear();
    log(`notify: connection lost${err ? `: ${(err as Error).message}` : ''}`);
    // A connection that stayed up a while earns a fresh, short backoff.
    if (Date.now() - connectedAt > MAX_BACKOFF_MS) backoff = MIN_BACKOFF_MS;
    delayNextConnect = true;
    c.end().catch(() => undefined);
    if (closed || subs.size === 0) return;
    for (const ch of subs.keys()) dirty.add(ch);
    reconnectPending = true;
    kick();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      wakeSleeper = resolve;
      sleepTimer = setTimeout(resolve, ms);
    }).then(() => {
      sleepTimer = null;
      wakeSleeper = null;
    });
  }

  async function connect(): Promise<Client | null> {
    while (!closed) {
      if (client) return client;
      if (delayNextConnect) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        if (closed) break;
      }
      const c = new Client({ connectionString: opts.connection, application_name: opts.applicationName ?? NOTIFY_APPLICATION_NAME });
      c.on('error', (err) => lost(c, err));
      c.on('end', () => lost(c));
      c.on('notification', deliver);
      try {
        await c.connect();
      } catch (err) {
        log(`notify: connect failed (retrying in ${backoff} ms): ${(err as Error).message}`);
        delayNextConnect = true;
        c.end().catch(() => undefined);
        continue;
      }
      if (closed) {
        await c.end().catch(() => undefined);
        break;
      }
      if (connectedAt) log('notify: reconnected');
      client = c;
      connectedAt = Date.now();
      delayNextConnect = false;
      return c;
    }
    return null;
  }

  async function reconcile(c: Client, ch: string): Promise<void> {
    const want = subs.has(ch);
    const have = listened.has(ch);
    if (want === have) return;
    try {
      await c.query(`${want ? 'LISTEN' : 'UNLISTEN'} ${quoteChannel(ch)}`);
      if (c !== client) return; // lost meanwhile: lost() already re-queued every channel
      if (want) listened.add(ch);
      else listened.delete(ch);
    } catch (err) {
      if (isConnectionError(err)) {
        dirty.add(ch);
        lost(c, err);
      } else {
        log(`notify: ${want ? 'LISTEN' : 'UNLISTEN'} ${ch} failed: ${(err as Error).message}`);
      }
    }
  }

  async function work(): Promise<void> {
    while (!closed && (dirty.size > 0 || reconnectPending)) {
      const c = await connect();
      if (!c) return;
      const next = dirty.values().next();
      if (!next.done) {
        dirty.delete(next.value);
        await reconcile(c, next.value);
        continue;
      }
      if (reconnectPending && c === client) {
        reconnectPending = false;
        for (const set of subs.values()) {
          for (const sub of set) {
            if (!sub.onReconnect) continue;
            try {
              sub.onReconnect();
            } catch (err) {
              log(`notify: onReconnect threw: ${(err as Error)?.message ?? String(err)}`);
            }
          }
        }
      }
    }
  }

  function kick(): void {
    if (worker || closed) return;
    worker = work()
      .catch((err) => log(`notify: ${(err as Error).message}`))
      .finally(() => {
        worker = null;
        if (!closed && (dirty.size > 0 || reconnectPending)) kick();
      });
  }

  async function ready(): Promise<void> {
    while (worker) await worker;
  }

  function subscribe(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): () => Promise<void> {
    if (closed) throw new Error('notify hub is closed');
    const bytes = Buffer.byteLength(channel);
    if (bytes === 0 || bytes > MAX_CHANNEL_BYTES || channel.includes('\0')) {
      throw new Error(`invalid notification channel name ${JSON.stringify(channel)}`);
    }
    const sub: Subscriber = { onMessage, onReconnect };
    let set = subs.get(channel);
    if (!set) {
      set = new Set();
      subs.set(channel, set);
      channels.add(channel);
      dirty.add(channel);
      kick();
    }
    set.add(sub);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = subs.get(channel);
      if (!current || !current.delete(sub) || current.size > 0) return;
      subs.delete(channel);
      channels.delete(channel);
      // Nothing is LISTENed on a missing connection, so there is nothing to wait for.
      if (!client || closed) return;
      dirty.add(channel);
      kick();
      await ready();
    };
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    subs.clear();
    channels.clear();
    dirty.clear();
    reconnectPending = false;
    if (sleepTimer) clearTimeout(sleepTimer);
    wakeSleeper?.();
    await ready();
    const c = client;
    client = null;
    listened.clear();
    if (c) await c.end().catch(() => undefined);
  }

  async function debugListeningChannels(): Promise<string[]> {
    const c = client;
    if (!c) return [];
    const r = await c.query<{ ch: string }>('select pg_listening_channels() as ch');
    return r.rows.map((row) => row.ch).sort();
  }

  return { subscribe, close, channels, ready, debugListeningChannels };
}
