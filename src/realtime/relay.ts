// `--cluster-workers` with subscriptions or watch mode: the primary process keeps the one LISTEN
// connection and each worker gets a NotifyHub that relays over the cluster's IPC channel. A
// worker's subscribe becomes one subscription in the primary (per worker and channel), the
// primary forwards each notification and reconnect, and `ready()` waits for the primary's hub.
// The primary can also pass events for the workers' GraphiQL change streams (SQL file errors).
import type { NotifyHub } from './notify-hub';

/** One end of an IPC channel (a cluster worker, or `process` inside one). */
export interface RelayPort {
  send(message: RelayMessage): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

export type RelayMessage =
  | { relay: 'forum-dev'; op: 'subscribe' | 'unsubscribe'; channel: string; id?: number }
  | { relay: 'forum-dev'; op: 'ready' | 'channels'; id: number; channels?: string[] }
  | { relay: 'forum-dev'; op: 'done'; id: number }
  | { relay: 'forum-dev'; op: 'message' | 'reconnect'; channel: string; payload?: string }
  | { relay: 'forum-dev'; op: 'announce'; event: string; data: unknown };

const isRelay = (m: unknown): m is RelayMessage => (m as { relay?: unknown } | null)?.relay === 'forum-dev';

interface Subscriber {
  onMessage: (payload: string) => void;
  onReconnect: (() => void) | undefined;
}

/** What a cluster worker's server gets from the primary instead of doing it itself. */
export interface PrimaryLink {
  /** The primary's LISTEN connection, relayed. */
  hub: NotifyHub;
  /** Watch mode: the primary installed the event triggers (else every worker polls). */
  triggers: boolean;
  /** Receives what the primary announces for GraphiQL's change stream (SQL file errors). */
  onAnnounce(listener: (event: string, data: unknown) => void): void;
}

export type WorkerRelay = Omit<PrimaryLink, 'triggers'>;

/** In a worker: a NotifyHub whose LISTEN connection is the primary's. */
export function createWorkerRelay(port: RelayPort): WorkerRelay {
  const subs = new Map<string, Set<Subscriber>>();
  const waiting = new Map<number, (m: RelayMessage) => void>();
  let announce: ((event: string, data: unknown) => void) | undefined;
  let nextId = 1;
  let closed = false;

  const ask = (op: 'ready' | 'channels' | 'unsubscribe', channel?: string): Promise<RelayMessage> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      port.send(op === 'unsubscribe' ? { relay: 'forum-dev', op, channel: channel!, id } : { relay: 'forum-dev', op, id });
    });

  // For the life of the worker: the relay ends with the process.
  port.onMessage((m) => {
    if (!isRelay(m)) return;
    if ((m.op === 'done' || m.op === 'ready' || m.op === 'channels') && m.id !== undefined) {
      const resolve = waiting.get(m.id);
      waiting.delete(m.id);
      resolve?.(m);
    } else if (m.op === 'message' || m.op === 'reconnect') {
      for (const sub of subs.get(m.channel) ?? []) {
        if (m.op === 'message') sub.onMessage(m.payload ?? '');
        else sub.onReconnect?.();
      }
    } else if (m.op === 'announce') {
      announce?.(m.event, m.data);
    }
  });

  const hub: NotifyHub = {
    subscribe(channel, onMessage, onReconnect) {
      if (closed) throw new Error('the notification relay is closed');
      const sub: Subscriber = { onMessage, onReconnect };
      let set = subs.get(channel);
      if (!set) {
        subs.set(channel, (set = new Set()));
        port.send({ relay: 'forum-dev', op: 'subscribe', channel });
      }
      set.add(sub);
      let done: Promise<void> | undefined;
      return () => {
        if (done) return done;
        set!.delete(sub);
        if (set!.size > 0 || subs.get(channel) !== set) return (done = Promise.resolve());
        subs.delete(channel);
        return (done = closed ? Promise.resolve() : ask('unsubscribe', channel).then(() => undefined));
      };
    },
    get channels() {
      return new Set(subs.keys());
    },
    ready: () => (closed ? Promise.resolve() : ask('ready').then(() => undefined)),
    debugListeningChannels: () => (closed ? Promise.resolve([]) : ask('channels').then((m) => ('channels' in m && m.channels) || [])),
    async close() {
      if (closed) return;
      const pending = [...subs.keys()].map((channel) => ask('unsubscribe', channel));
      subs.clear();
      await Promise.all(pending);
      closed = true;
    },
  };
  return { hub, onAnnounce: (listener) => void (announce = listener) };
}

/**
 * In the primary: serves one worker's relay from the primary's hub. Returns what to call when
 * the worker is gone (its subscriptions end).
 */
export function serveWorkerRelay(hub: NotifyHub, port: RelayPort): () => Promise<void> {
  const own = new Map<string, () => Promise<void>>();
  const stop = port.onMessage((m) => {
    if (!isRelay(m)) return;
    const reply = (message: RelayMessage) => {
      try {
        port.send(message);
      } catch {
        // The worker went away while we answered: its 'exit' ends its subscriptions.
      }
    };
    if (m.op === 'subscribe' && !own.has(m.channel)) {
      const channel = m.channel;
      own.set(channel, hub.subscribe(
        channel,
        (payload) => reply({ relay: 'forum-dev', op: 'message', channel, payload }),
        () => reply({ relay: 'forum-dev', op: 'reconnect', channel }),
      ));
    } else if (m.op === 'unsubscribe') {
      const unsubscribe = own.get(m.channel);
      own.delete(m.channel);
      void (unsubscribe?.() ?? Promise.resolve()).then(() => m.id !== undefined && reply({ relay: 'forum-dev', op: 'done', id: m.id }));
    } else if (m.op === 'ready') {
      void hub.ready().then(() => reply({ relay: 'forum-dev', op: 'ready', id: m.id }));
    } else if (m.op === 'channels') {
      void hub.debugListeningChannels().then((channels) => reply({ relay: 'forum-dev', op: 'channels', id: m.id, channels }));
    }
  });
  return async () => {
    stop();
    const all = [...own.values()];
    own.clear();
    await Promise.all(all.map((u) => u()));
  };
}

/** In the primary: sends a change-stream event to every worker's GraphiQL clients. */
export function announceToWorkers(ports: RelayPort[], event: string, data: unknown): void {
  for (const port of ports) {
    try {
      port.send({ relay: 'forum-dev', op: 'announce', event, data });
    } catch {
      // A worker that is gone has no clients to tell.
    }
  }
}
