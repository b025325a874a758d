// `--cluster-workers N` (v4's flag): the primary forks N workers that each run the server on the
// shared port; node:cluster hands incoming connections to them in turn. The embedded database,
// the one LISTEN connection (relayed to the workers' subscriptions and watch mode, see
// realtime/relay.ts), the watch triggers and --watch-sql stay in the primary, which also stops
// everything together. As in v4, a worker that exits on
// its own takes the whole cluster down (a supervisor restarts it), rather than leaving it at
// reduced capacity unnoticed.
import cluster, { type Worker } from 'node:cluster';
import { needsListen, type Options } from '../options';
import { createNotifyHub, type NotifyHub } from '../realtime/notify-hub';
import { announceToWorkers, createWorkerRelay, serveWorkerRelay, type RelayPort } from '../realtime/relay';
import { startPrimaryWatch, type PrimaryWatch } from '../watch/primary';
import type { RunningServer, StartServer } from './start';

const WORKER_ENV = 'FORUM_DEV_CLUSTER_WORKER';
type Message =
  | { type: 'forum-dev:hello' }
  | { type: 'forum-dev:options'; options: Options; relay?: { triggers: boolean } }
  | { type: 'forum-dev:ready'; url: string };

/** True in a process forked by startCluster. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] !== undefined;
}

/**
 * In the primary: forks `count` workers, gives each the resolved options (connection strings
 * included: they go over the IPC channel, not the command line) and resolves once all listen.
 * `onLost` is called once if a worker exits while the cluster is up.
 */
export async function startCluster(options: Options, count: number, onLost: (message: string) => void): Promise<RunningServer> {
  const workers: Worker[] = [];
  const ports: RelayPort[] = [];
  let up = false;
  let stopping = false;
  const log = (line: string) => console.log(line);
  // One LISTEN connection for all workers, when anything listens.
  let hub: NotifyHub | undefined;
  let watch: PrimaryWatch | undefined;
  if (needsListen(options)) {
    hub = createNotifyHub({ connection: options.ownerConnection ?? options.connection!, log });
  }
  if (options.watch) watch = await startPrimaryWatch(options, log, (event, data) => announceToWorkers(ports, event, data));
  const relay = hub ? { triggers: watch?.triggers ?? false } : undefined;
  // Files are written by worker 1 alone: N workers writing the same export or cache is N times the work.
  const quiet: Options = { ...options, exportSchemaGraphql: undefined, exportSchemaJson: undefined, writeCache: undefined };
  return new Promise((resolve, reject) => {
    let ready = 0;
    let url = '';
    for (let i = 1; i <= count; i++) {
      const worker = cluster.fork({ [WORKER_ENV]: String(i) });
      workers.push(worker);
      const port: RelayPort = {
        send: (m) => worker.send(m),
        onMessage: (listener) => {
          worker.on('message', listener);
          return () => void worker.off('message', listener);
        },
      };
      ports.push(port);
      const endRelay = hub ? serveWorkerRelay(hub, port) : undefined;
      worker.on('message', (m: Message) => {
        // A message sent before the worker listens is lost, so the worker asks first.
        if (m?.type === 'forum-dev:hello') worker.send({ type: 'forum-dev:options', options: i === 1 ? options : quiet, relay } satisfies Message);
        if (m?.type !== 'forum-dev:ready') return;
        url = m.url;
        if (++ready === count) {
          up = true;
          resolve({ url, close: stop });
        }
      });
      worker.on('exit', (code, signal) => {
        void endRelay?.();
        if (stopping) return;
        const message = `worker ${i} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`})`;
        if (up) onLost(`${message}; stopping the cluster`);
        else void stop().then(() => reject(new Error(`${message} while starting`)));
      });
    }
  });

  async function stop(): Promise<void> {
    stopping = true;
    await Promise.all(workers.map((w) => new Promise<void>((res) => {
      if (w.process.exitCode !== null || w.process.signalCode !== null) return res();
      const timer = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
      w.process.once('exit', () => {
        clearTimeout(timer);
        res();
      });
      w.process.kill('SIGTERM');
    })));
    await watch?.close();
    await hub?.close();
  }
}

/** In a worker: waits for the options, serves, and closes on SIGTERM from the primary. */
export function runClusterWorker(startServer: StartServer): void {
  // Ctrl-C reaches every process of the terminal's group; the primary decides what happens.
  process.on('SIGINT', () => undefined);
  process.once('message', async (m: Message) => {
    if (m?.type !== 'forum-dev:options') return;
    try {
      const relay = m.relay ? createWorkerRelay({
        send: (message) => process.send!(message),
        onMessage: (listener) => {
          process.on('message', listener);
          return () => void process.off('message', listener);
        },
      }) : undefined;
      const server = await startServer(m.options, relay && { ...relay, triggers: m.relay!.triggers });
      const close = () => void server.close().finally(() => process.exit(0));
      process.once('SIGTERM', close);
      process.once('disconnect', close);
      process.send!({ type: 'forum-dev:ready', url: server.url } satisfies Message);
    } catch (err) {
      process.stderr.write(`forum-dev: worker ${process.env[WORKER_ENV]}: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });
  process.send!({ type: 'forum-dev:hello' } satisfies Message);
}
