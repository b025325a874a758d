// Start-up and configuration mistakes, run through the real CLI as a user would: each ends in a
// clear message that says what to do (and, where forum-dev cannot go on, a prompt exit that
// leaves nothing running), never a hang, a bare syscall error or silence.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { createForumDb, type ForumDb } from '../e2e/setup';
import { defaultOptions } from '../../src/options';
import { createServer } from '../../src/server';
import { freePort } from '../helpers/port';

const root = path.resolve(__dirname, '../..');
const tsx = pathToFileURL(require.resolve('tsx')).href;
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-startup-'));
const dataDir = path.join(root, 'test', '.tmp', `startup-${crypto.randomBytes(4).toString('hex')}`);
let db: ForumDb;
let blocker: net.Server;
let busyPort: number;

before(async () => {
  db = await createForumDb('startup');
  blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  busyPort = (blocker.address() as net.AddressInfo).port;
});

after(async () => {
  blocker?.close();
  await db?.drop();
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const baseEnv = () => ({ ...process.env, DATABASE_URL: '', OWNER_DATABASE_URL: '', PORT: '', HOST: '', FORUM_DEV_WATCH_SQL: '' });

/** Runs the CLI to its end (it must end by itself: the timeout is only the test's safety net). */
function cli(args: string[], env: Record<string, string> = {}, dir = cwd) {
  const r = spawnSync(process.execPath, ['--import', tsx, path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: dir, encoding: 'utf8', env: { ...baseEnv(), ...env }, timeout: 90_000,
  });
  assert.equal(r.signal, null, `the CLI did not exit by itself; stderr: ${r.stderr}`);
  return r;
}

test('a busy HTTP port with --watch exits at once with what to do', () => {
  const r = cli(['--watch', '-n', '127.0.0.1', '-p', String(busyPort), '-s', 'forum_example'], {
    DATABASE_URL: db.url, OWNER_DATABASE_URL: db.adminUrl,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is already in use.*-p/--port`));
  assert.doesNotMatch(r.stderr, /EADDRINUSE/);
});

test('a busy HTTP port with --watch and the embedded database: exits, and PostgreSQL is stopped', () => {
  const r = cli(['--watch', '-n', '127.0.0.1', '-p', String(busyPort), '--data-dir', dataDir]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /already in use.*-p\/--port/);
  // A PostgreSQL that was shut down removes its pid file; connection.json says nobody runs it.
  assert.equal(fs.existsSync(path.join(dataDir, 'pgdata', 'postmaster.pid')), false);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, 'connection.json'), 'utf8')).pid, null);
});

test('schemas that do not exist, or hold nothing, are warned about (as v4 does)', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'src/cli/main.ts'), '-n', '127.0.0.1', '-p', String(port), '-s', 'nope,forum_example'], {
    cwd, env: { ...baseEnv(), DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes('Ctrl-C to stop') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(err, new RegExp(`schema 'nope' not found in database '${db.name}' on 127\\.0\\.0\\.1:\\d+.*-s/--schema`));

  const empty = cli(['-X', '--export-schema-graphql', path.join(cwd, 'schema.graphql'), '-s', 'public'], { DATABASE_URL: db.url });
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stderr, /schema 'public' in database .* hold nothing the API can expose.*DATABASE_URL/);
});

test('forum-dev psql -c <SQL> says that -c is its connection string and where psql arguments go', () => {
  const r = cli(['psql', '-c', 'alter table forum_example.post add column views int']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /was read as forum-dev's connection string \(-c\); psql's own arguments go after --, e\.g\.: npx forum-dev psql -- -c 'alter table forum_example\.post add column views int'/);
  // a database name or URL is still a connection string: psql is run with it
  assert.doesNotMatch(cli(['psql', '-c', 'postgres://127.0.0.1:1/nope', '--', '-c', 'select 1']).stderr, /was read as/);
});

test('--watch-sql without --watch is an error as a flag and a warning from the environment', () => {
  const flag = cli(['--watch-sql', 'db.sql']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /--watch-sql applies SQL files in watch mode only: add -w\/--watch/);
  const env = cli(['--version'], { FORUM_DEV_WATCH_SQL: 'db.sql' });
  assert.equal(env.status, 0);
  assert.match(env.stderr, /FORUM_DEV_WATCH_SQL is set but watch mode is off.*-w\/--watch/);
});

test('connection errors name the server tried and what to check', async () => {
  const closed = await freePort();
  const refused = cli(['-p', String(await freePort())], { DATABASE_URL: `postgres://someone:pw@127.0.0.1:${closed}/app` });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${closed}: connection refused\\. Is PostgreSQL running there`));
  assert.match(refused.stderr, /DATABASE_URL/);
  assert.doesNotMatch(refused.stderr, /pw/, 'no password in the message');

  const malformed = cli(['-p', String(await freePort())], { DATABASE_URL: 'postgres://someone:p@ss@base/app' });
  assert.equal(malformed.status, 1);
  assert.match(malformed.stderr, /the host 'base' was not found\. Check the connection string, of the form postgres:\/\/user:password@host:5432\/database/);

  const url = new URL(db.url);
  url.password = 'wrong';
  const login = cli(['-p', String(await freePort())], { DATABASE_URL: url.toString() });
  assert.equal(login.status, 1);
  assert.match(login.stderr, /refused user 'forum_example_postgraphile'.*Check the user and password/);
});

test('a malformed .env names its line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-dotenv-'));
  try {
    fs.writeFileSync(path.join(dir, '.env'), '# settings\nPORT=5001\nHOST localhost\n');
    const r = cli(['--version'], {}, dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\.env:3: expected KEY=VALUE, found 'HOST localhost'/);
    fs.writeFileSync(path.join(dir, '.env'), 'A=1\nJWT_SECRET="never closed\nB=2\n');
    const quote = cli(['--version'], {}, dir);
    assert.equal(quote.status, 2);
    assert.match(quote.stderr, /\.env:2: the quoted value of JWT_SECRET is never closed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM ends a start-up stuck on a database that never answers', async () => {
  const sockets: net.Socket[] = [];
  const blackHole = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', () => resolve()));
  const { port } = blackHole.address() as net.AddressInfo;
  try {
    const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'src/cli/main.ts'), '-p', String(await freePort())], {
      cwd, env: { ...baseEnv(), DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/app` }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (sockets.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sockets.length > 0, 'the CLI connected');
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]);
    if (code === 'still running') child.kill('SIGKILL');
    assert.equal(code, 0, err);
    assert.match(err, /SIGTERM, shutting down/);
  } finally {
    for (const s of sockets) s.destroy();
    blackHole.close();
  }
});

test('a schema holding only mutations (volatile functions) is not reported as empty', async () => {
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    await admin.query(`create schema only_fn;
      create function only_fn.bump(n int) returns int language sql volatile as $$ select n + 1 $$;
      grant usage on schema only_fn to forum_example_postgraphile`);
  } finally {
    await admin.end();
  }
  const warnings: string[] = [];
  const server = await createServer({ ...defaultOptions, connection: db.url, schemas: ['only_fn'], port: 0, host: '127.0.0.1' }, {}, { warn: (l) => warnings.push(l) });
  await server.close();
  assert.equal(warnings.length, 0, warnings.join('\n'));
  const empty = await createServer({ ...defaultOptions, connection: db.url, schemas: ['public'], port: 0, host: '127.0.0.1' }, {}, { warn: (l) => warnings.push(l) });
  await empty.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /'public' in database .* hold nothing the API can expose/);
});
