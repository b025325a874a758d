// A throwaway PgBouncer (Debian's `pgbouncer` package) in transaction mode in front of the test
// cluster: its own config and auth file in a temp dir, on a free 127.0.0.1 port.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './port';

export const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
export const havePgBouncer = () => existsSync(PGBOUNCER);

export interface PgBouncer {
  /** `url` with host and port replaced by PgBouncer's. */
  url: string;
  stop(): Promise<void>;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Starts PgBouncer for the database and login of `url` (a password login): clients log in to
 * PgBouncer with the same user and password, and share `serverConnections` server connections.
 */
export async function startPgBouncer(url: string, serverConnections = 4): Promise<PgBouncer> {
  const target = new URL(url);
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  const database = decodeURIComponent(target.pathname.slice(1));
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  // PgBouncer refuses to run as root; as root it runs as `nobody`, who must read these files.
  chmodSync(dir, 0o755);
  const ini = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'users.txt');
  writeFileSync(users, `${quote(user)} ${quote(password)}\n`, { mode: 0o644 });
  writeFileSync(ini, [
    '[databases]',
    `${database} = host=${target.hostname} port=${target.port} dbname=${database}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = md5',
    `auth_file = ${users}`,
    'pool_mode = transaction',
    `default_pool_size = ${serverConnections}`,
    'max_client_conn = 200',
    '',
  ].join('\n'), { mode: 0o644 });
  const args = process.getuid?.() === 0 ? ['-u', 'nobody', ini] : [ini];
  const child: ChildProcess = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  // Ready once a login through it works.
  for (let attempt = 0; ; attempt++) {
    const c = new Client({ connectionString: proxied.toString() });
    try {
      await c.connect();
      await c.query('select 1');
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (child.exitCode !== null || attempt >= 100) {
        await stop();
        throw new Error(`pgbouncer did not start: ${(e as Error).message}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url: proxied.toString(), stop };
}
