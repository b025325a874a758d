// Applies `.sql` files (e.g. db/current.sql) to the database whenever they are saved, each run
// in one transaction so a broken save changes nothing. Errors are reported with the line and
// column Postgres points at. The resulting DDL reaches the server through the DDL watcher.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { chokidar } from './chokidar';
import { Client } from 'pg';

export type SqlFileError = {
  file: string;
  message: string;
  /** 1-based line of the error in the file. */
  line?: number;
  /** 1-based column (in characters) of the error on that line. */
  column?: number;
  /** Postgres's `position`: 1-based character offset into the file text. */
  position?: number;
  /** SQLSTATE, e.g. 42P01. */
  code?: string;
  hint?: string;
};

export type WatchSqlFilesOptions = {
  /** Files, or folders whose `.sql` files (sorted by name) are applied in order. */
  paths: string[];
  ownerConnection: string;
  onApplied: (file: string) => void;
  onError: (err: SqlFileError) => void;
  log?: (line: string) => void;
  /** How long a file must stay unchanged before it is read (half-written saves). Default 80 ms. */
  stabilityMs?: number;
};

/** Line and column (1-based) of a 1-based character offset, counting characters like Postgres. */
export function locate(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let seen = 0;
  for (const ch of text) {
    if (++seen >= position) break;
    if (ch === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { line, column };
}

const isSql = (file: string): boolean => extname(file).toLowerCase() === '.sql';

// All files under `paths`, in apply order: paths in the order given, folders sorted by name.
async function listFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory()) {
      const names = (await readdir(p, { withFileTypes: true }))
        .filter((d) => d.isFile() && isSql(d.name))
        .map((d) => d.name)
        .sort();
      for (const n of names) out.push(join(p, n));
    } else if (s?.isFile()) {
      out.push(p);
    }
  }
  return [...new Set(out)];
}

/** Watch `paths`; applies every file once before resolving, then each file again on change. */
export async function watchSqlFiles(opts: WatchSqlFilesOptions): Promise<{ close(): Promise<void> }> {
  const log = (line: string): void => {
    try {
      opts.log?.(line);
    } catch {
      // Logging must not break the watcher.
    }
  };
  const safe = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log(`sql file callback failed: ${(err as Error).message}`);
    }
  };
  const paths = opts.paths.map((p) => resolve(p));
  const applied = new Map<string, string>(); // file -> hash of the last successfully applied text
  const dirty = new Set<string>();
  let running: Promise<void> | undefined;
  let closed = false;

  async function applyFile(file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return; // Deleted or renamed away since the event.
    }
    const hash = createHash('sha256').update(text).digest('hex');
    if (applied.get(file) === hash) return;
    const client = new Client({ connectionString: opts.ownerConnection, application_name: 'forum-dev-sql' });
    client.on('error', () => undefined);
    const started = Date.now();
    try {
      await client.connect();
    } catch (err) {
      safe(() => opts.onError({ file, message: `cannot connect: ${(err as Error).message}` }));
      return;
    }
    try {
      await client.query('begin');
      // No parameters: the simple query protocol, so the file may hold many statements.
      await client.query(text);
      await client.query('commit');
      applied.set(file, hash);
      log(`applied ${file} in ${Date.now() - started} ms`);
      safe(() => opts.onApplied(file));
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      const e = err as { message: string; code?: string; position?: string; hint?: string };
      const report: SqlFileError = { file, message: e.message, code: e.code, hint: e.hint };
      const position = Number(e.position);
      if (Number.isInteger(position) && position > 0) {
        report.position = position;
        Object.assign(report, locate(text, position));
      }
      safe(() => opts.onError(report));
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  // One file at a time, in apply order; a save during a run is picked up right after it.
  function kick(): void {
    if (running || closed) return;
    running = (async () => {
      while (dirty.size > 0 && !closed) {
        const order = await listFiles(paths);
        const rank = (f: string): number => {
          const i = order.indexOf(f);
          return i < 0 ? order.length : i;
        };
        const next = [...dirty].sort((a, b) => rank(a) - rank(b))[0];
        dirty.delete(next);
        try {
          await applyFile(next);
        } catch (err) {
          log(`applying ${next} failed: ${(err as Error).message}`);
        }
      }
    })().finally(() => {
      running = undefined;
      if (dirty.size > 0 && !closed) kick();
    });
  }

  const onEvent = (file: string): void => {
    if (!isSql(file)) return;
    dirty.add(resolve(file));
    kick();
  };

  const stability = opts.stabilityMs ?? 80;
  const watcher: FSWatcher = chokidar().watch(paths, {
    ignoreInitial: true,
    depth: 0,
    awaitWriteFinish: { stabilityThreshold: stability, pollInterval: Math.max(10, Math.round(stability / 4)) },
    ignored: (file, stats) => Boolean(stats?.isFile() && !isSql(file)),
  });
  watcher.on('add', onEvent);
  watcher.on('change', onEvent);
  watcher.on('error', (err) => log(`sql file watcher error: ${(err as Error).message}`));
  await new Promise<void>((res) => watcher.once('ready', () => res()));

  for (const f of await listFiles(paths)) dirty.add(f);
  kick();
  while (running) await running;

  return {
    async close() {
      closed = true;
      await watcher.close();
      while (running) await running;
    },
  };
}
