// `forum-dev`: parse options, start the embedded database when no connection is configured,
// start the GraphQL server, and shut both down in order on Ctrl-C / SIGTERM.

import fs from 'node:fs';
import path from 'node:path';
import type { Options } from '../options';
import { OptionsError, parseArgs, type ParsedArgs } from './parse';
import { usage } from './help';
import { runPsql } from './psql';
import { loadStartServer, type RunningServer, type StartServer } from './start';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../db/embedded';
import { isClusterWorker, runClusterWorker, startCluster } from './cluster';
import { devTokenState } from '../http/dev-token';
import { resolveEmbeddedPostgres } from '../db/embedded-package';

export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'forum-dev' && pkg.version) return pkg.version;
    } catch {
      // keep looking upwards
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export async function main(argv: string[]): Promise<void> {
  // A --cluster-workers worker gets its options from the primary, already resolved.
  if (isClusterWorker()) return runClusterWorker(loadStartServer());
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, process.env, process.cwd());
    const extra = parsed.positional.filter((_, i) => i > 0 || parsed.positional[0] !== 'psql');
    if (parsed.positional[0] !== 'psql' && extra.length > 0) {
      throw new OptionsError(`unexpected argument '${extra[0]}'`);
    }
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    process.stderr.write(`forum-dev: ${err.message}\nTry 'forum-dev --help'.\n`);
    process.exitCode = 2;
    return;
  }
  for (const line of parsed.warnings) warn(line);
  if (parsed.help) {
    process.stdout.write(usage(packageVersion()));
    return;
  }
  if (parsed.version) {
    process.stdout.write(packageVersion() + '\n');
    return;
  }
  if (parsed.positional[0] === 'psql') {
    process.exitCode = await runPsql(parsed.options, parsed.positional.slice(1));
    return;
  }
  await serve(parsed);
}

/** Fills what the embedded database decides, leaving anything the user set explicitly. */
export function embeddedOptions(options: Options, explicit: Set<string>, db: EmbeddedDatabase): Options {
  const out: Options = { ...options, connection: db.appConnection };
  const fill = <K extends keyof Options>(key: K, value: Options[K]) => {
    if (!explicit.has(key)) out[key] = value;
  };
  fill('ownerConnection', db.superuserConnection);
  fill('schemas', ['forum_example']);
  fill('defaultRole', 'forum_example_anonymous');
  fill('jwtTokenIdentifier', 'forum_example.jwt_token');
  if (!explicit.has('jwtPublicKey')) fill('jwtSecret', db.jwtSecret);
  fill('subscriptions', true);
  fill('live', true);
  return out;
}

function urls(server: RunningServer, options: Options): { graphql: string; graphiql?: string } {
  let base = server.url.replace(/\/+$/, '');
  if (base.endsWith(options.graphqlRoute)) base = base.slice(0, -options.graphqlRoute.length);
  return {
    graphql: base + options.graphqlRoute,
    graphiql: options.graphiql ? base + options.graphiqlRoute : undefined,
  };
}

function isListenError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serve(parsed: ParsedArgs): Promise<void> {
  let options = parsed.options;
  let db: EmbeddedDatabase | undefined;
  let server: RunningServer | undefined;
  let stopping = false;
  let starting = true;

  const shutdown = async (code: number): Promise<never> => {
    if (server) {
      // A websocket that never closes must not keep the database up forever.
      await Promise.race([server.close().catch((e: Error) => warn(`closing the server: ${e.message}`)), sleep(10_000)]);
    }
    if (db) await db.stop().catch((e: Error) => warn(`stopping PostgreSQL: ${e.message}`));
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      warn(`${signal} again; exiting now`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`\nforum-dev: ${signal}, shutting down\n`);
    // During start-up the steps below notice `stopping` and shut down themselves; one stuck
    // (e.g. a database that does not answer) must not make the signal useless.
    if (server || !starting) void shutdown(0);
    else setTimeout(() => void shutdown(0), 10_000).unref();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  try {
    if (!options.connection) {
      resolveEmbeddedPostgres(); // missing, it says how to install it, before a start is announced
      console.log(`Starting the embedded PostgreSQL in ${options.dataDir} ...`);
      db = await startEmbeddedDatabase({ dataDir: options.dataDir, log: (line) => console.log(`  ${line}`) });
      if (stopping) return void (await shutdown(0));
      options = embeddedOptions(options, parsed.explicit, db);
    }
    const workers = options.noServer ? 1 : options.clusterWorkers ?? 1;
    const onLost = (message: string) => {
      if (stopping) return;
      stopping = true;
      warn(message);
      void shutdown(1);
    };
    const startServer: StartServer = workers >= 2 ? (o) => startCluster(o, workers, onLost) : loadStartServer();
    server = await startWithRetry(startServer, options.noServer ? { ...options, port: 0 } : options, () => stopping);
    starting = false;
    if (stopping) return void (await shutdown(0));
  } catch (err) {
    starting = false;
    if (stopping) return void (await shutdown(0));
    warn((err as Error).message ?? String(err));
    return void (await shutdown(1));
  }

  if (options.noServer) {
    const files = [options.exportSchemaGraphql, options.exportSchemaJson].filter(Boolean);
    if (files.length) console.log(`Schema exported to ${files.join(' and ')}`);
    if (options.writeCache) console.log(`Introspection cache written to ${options.writeCache}`);
    return void (await shutdown(0));
  }
  const u = urls(server, options);
  const lines = ['', `  GraphQL API:  ${u.graphql}`];
  if (u.graphiql) lines.push(`  GraphiQL:     ${u.graphiql}`);
  if (db) {
    lines.push(`  PostgreSQL:   embedded, data in ${options.dataDir}`);
    lines.push(`  Superuser:    psql ${db.superuserConnection}`);
    lines.push(`                (or: npx forum-dev psql)`);
  }
  if ((options.clusterWorkers ?? 1) >= 2) lines.push(`  Workers:      ${options.clusterWorkers} (node:cluster)`);
  const devTokens = devTokenState(options);
  if (devTokens.note) lines.push('', `  Note: ${devTokens.note}.`);
  lines.push('', '  Ctrl-C to stop.', '');
  console.log(lines.join('\n'));
}

async function startWithRetry(start: StartServer, options: Options, stopping: () => boolean): Promise<RunningServer> {
  let delay = 1000;
  for (;;) {
    try {
      return await start(options);
    } catch (err) {
      if (!options.retryOnInitFail || stopping() || isListenError(err)) throw err;
      warn(`start failed (${(err as Error).message}); retrying in ${delay / 1000}s`);
      await sleep(delay);
      if (stopping()) throw err;
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

function warn(message: string): void {
  process.stderr.write(`forum-dev: ${message}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    warn(err.stack ?? String(err));
    process.exit(1);
  });
}
