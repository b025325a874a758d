// PostGraphile v4, the reference implementation, run as a child process from its own install
// in test/compat (it needs graphql 15; the main tree has graphql 16, so it is never imported).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './port';

const compatDir = resolve(__dirname, '..', 'compat');
const bin = join(compatDir, 'node_modules', '.bin', 'postgraphile');
const tmpDir = resolve(__dirname, '..', '.tmp');

export interface V4Options {
  connection: string;
  schemas: string[];
  /** Extra CLI flags, e.g. ['--default-role', 'anon', '--jwt-secret', 's']. */
  flags?: string[];
  /** Plugins installed in test/compat, passed as `--append-plugins`. */
  appendPlugins?: string[];
  /** Written to a `.postgraphilerc.js` as `options.graphileBuildOptions` (v4 reads no flag for it). */
  graphileBuildOptions?: Record<string, unknown>;
  /** Contents of a `postgraphile.tags.json5` in v4's working directory. */
  tagsFile?: string;
  /** Other library options (e.g. `enableTags`), written to the `.postgraphilerc.js` too. */
  rcOptions?: Record<string, unknown>;
}

export interface GraphQLResponse {
  status: number;
  /** Parsed JSON when the response was JSON, otherwise the raw text. */
  body: any;
}

export interface V4Server {
  url: string;
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    child.kill('SIGTERM');
  });
}

interface Spawned {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/**
 * v4's CLI reads `.postgraphilerc.js` and `postgraphile.tags.json5` from its working directory:
 * a private one when the options need them, else test/compat.
 */
function workingDir(opts: V4Options): { cwd: string; cleanup(): void } {
  if (!opts.graphileBuildOptions && !opts.rcOptions && opts.tagsFile === undefined) return { cwd: compatDir, cleanup: () => {} };
  const cwd = join(tmpDir, `v4-cwd-${randomBytes(6).toString('hex')}`);
  mkdirSync(cwd, { recursive: true });
  if (opts.graphileBuildOptions || opts.rcOptions) {
    const options = { ...opts.rcOptions, ...(opts.graphileBuildOptions ? { graphileBuildOptions: opts.graphileBuildOptions } : {}) };
    writeFileSync(join(cwd, '.postgraphilerc.js'), `module.exports = { options: ${JSON.stringify(options)} };\n`);
  }
  if (opts.tagsFile !== undefined) writeFileSync(join(cwd, 'postgraphile.tags.json5'), opts.tagsFile);
  return { cwd, cleanup: () => rmSync(cwd, { recursive: true, force: true }) };
}

/** Start v4 and wait until its GraphQL endpoint answers a query (so the schema is built). */
async function spawnV4(opts: V4Options, extra: string[]): Promise<Spawned> {
  const dir = workingDir(opts);
  try {
    return await spawnV4In(dir.cwd, opts, extra);
  } finally {
    // v4 reads both files while it starts; they are not needed once it answers.
    dir.cleanup();
  }
}

async function spawnV4In(cwd: string, opts: V4Options, extra: string[]): Promise<Spawned> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = [
      '--connection', opts.connection,
      '--schema', opts.schemas.join(','),
      '--host', '127.0.0.1',
      '--port', String(port),
      '--disable-query-log',
      ...(opts.flags ?? []),
      ...(opts.appendPlugins?.length ? ['--append-plugins', opts.appendPlugins.join(',')] : []),
      ...extra,
    ];
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const url = `http://127.0.0.1:${port}/graphql`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        const r = await post(url, '{__typename}');
        if (r.status === 200) return { child, url, output: () => out };
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await stopChild(child);
    if (attempt < 3 && /EADDRINUSE/.test(out)) continue;
    throw new Error(`PostGraphile v4 did not start (${args.join(' ')}):\n${out}`);
  }
}

export async function startV4(opts: V4Options): Promise<V4Server> {
  const { child, url } = await spawnV4(opts, []);
  return {
    url,
    graphql: (query, variables, headers) => post(url, query, variables, headers),
    stop: () => stopChild(child),
  };
}

/** v4's schema for a database as GraphQL SDL (what `--export-schema-graphql` writes). */
export async function exportV4Schema(opts: V4Options): Promise<string> {
  mkdirSync(tmpDir, { recursive: true });
  const file = join(tmpDir, `v4-schema-${randomBytes(6).toString('hex')}.graphql`);
  const { child, output } = await spawnV4(opts, ['--export-schema-graphql', file]);
  try {
    // v4 writes the file without awaiting it after building the schema; wait until the file
    // exists and has stopped growing.
    let last = -1;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      let size = -1;
      try {
        size = statSync(file).size;
      } catch {
        // not written yet
      }
      if (size > 0 && size === last) return readFileSync(file, 'utf8');
      last = size;
      if (child.exitCode !== null) break;
      await sleep(150);
    }
    throw new Error(`PostGraphile v4 did not write ${file}:\n${output()}`);
  } finally {
    await stopChild(child);
    rmSync(file, { force: true });
  }
}
