// `forum-dev psql`: an interactive psql on the database forum-dev serves, as a privileged user.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Options } from '../options';
import { pidAlive, readConnectionInfo } from '../db/embedded';

/** First executable named `name` on PATH, if any. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs psql and resolves to the exit code forum-dev should end with. */
export async function runPsql(options: Options, extraArgs: string[]): Promise<number> {
  let url: string;
  // `forum-dev psql -c 'select 1'`: forum-dev reads -c as its own connection string (a URL,
  // `key=value` pairs or a database name: none of them holds a space outside key=value pairs)
  if (options.connection && /\s/.test(options.connection) && !/^postgres(ql)?:\/\//i.test(options.connection) && !options.connection.includes('=')) {
    process.stderr.write(`forum-dev: '${options.connection}' was read as forum-dev's connection string (-c); `
      + `psql's own arguments go after --, e.g.: npx forum-dev psql -- -c '${options.connection.replace(/'/g, "'\\''")}'\n`);
    return 2;
  }
  if (options.connection) {
    url = options.ownerConnection ?? options.connection;
  } else {
    const info = readConnectionInfo(options.dataDir);
    if (!info) {
      process.stderr.write(`forum-dev: no embedded database in ${options.dataDir}; start one with 'npx forum-dev'\n`);
      return 1;
    }
    if (info.pid === null || !pidAlive(info.pid)) {
      process.stderr.write(`forum-dev: the embedded database in ${options.dataDir} is not running; start it with 'npx forum-dev'\n`);
      return 1;
    }
    url = info.superuserConnection;
  }
  const psql = findOnPath(process.platform === 'win32' ? 'psql.exe' : 'psql');
  if (!psql) {
    process.stderr.write(
      'forum-dev: psql is not installed. Get it with your package manager, e.g.\n' +
        '  apt-get install postgresql-client    (Debian/Ubuntu)\n' +
        '  brew install libpq                   (macOS)\n' +
        `then run:\n  psql ${url}\n`,
    );
    return 1;
  }
  // psql uses Ctrl-C to cancel a query; forum-dev must not die of it meanwhile.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(psql, [url, ...extraArgs], { stdio: 'inherit' });
      child.on('error', (err) => {
        process.stderr.write(`forum-dev: could not run ${psql}: ${err.message}\n`);
        resolve(1);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    process.removeListener('SIGINT', ignore);
  }
}
