// Starts the embedded PostgreSQL twice in a throwaway data dir: the first start creates the
// cluster and loads the forum example, the second reuses it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { readConnectionInfo, startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded';
import { findOnPath } from '../../src/cli/psql';

const root = path.resolve(__dirname, '../..');
const dataDir = path.join(root, 'test', '.tmp', `embedded-${crypto.randomBytes(4).toString('hex')}`);
let running: EmbeddedDatabase | undefined;

after(async () => {
  await running?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

test('embedded database: first start loads the forum, second start reuses it', async (t) => {
  let t0 = Date.now();
  running = await startEmbeddedDatabase({ dataDir });
  const first = running;
  const firstMs = Date.now() - t0;
  t.diagnostic(`first start: ${firstMs} ms on port ${first.port}`);

  const who = await query<{ current_user: string }>(first.appConnection, 'select current_user');
  assert.equal(who[0].current_user, 'forum_example_postgraphile');
  const people = await query<{ first_name: string }>(first.appConnection,
    'select first_name from forum_example.person order by id');
  assert.deepEqual(people.map((p) => p.first_name), ['Sara', 'Andrea', 'Stephen']);
  const su = await query<{ rolsuper: boolean }>(first.superuserConnection,
    'select rolsuper from pg_roles where rolname = current_user');
  assert.equal(su[0].rolsuper, true);
  await query(first.superuserConnection,
    "insert into forum_example.post (author_id, headline) values (2, 'written before the restart')");

  const secretFile = path.join(dataDir, 'jwt-secret');
  assert.equal(fs.statSync(secretFile).mode & 0o777, 0o600);
  assert.equal(fs.readFileSync(secretFile, 'utf8').trim(), first.jwtSecret);
  assert.ok(first.jwtSecret.length >= 32);
  const info = readConnectionInfo(dataDir);
  assert.equal(info?.superuserConnection, first.superuserConnection);
  assert.equal(info?.appConnection, first.appConnection);
  assert.equal(info?.pid, process.pid);

  const psql = findOnPath('psql');
  if (psql) {
    // `forum-dev psql` reaches the running database as the superuser.
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'psql',
      '--data-dir', dataDir, '--', '-Atc', 'select current_user, count(*) from forum_example.person'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' }, timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'postgres|3');
  } else {
    t.diagnostic('psql not on PATH; forum-dev psql not exercised');
  }

  await first.stop();
  running = undefined;
  assert.equal(readConnectionInfo(dataDir)?.pid, null);
  await assert.rejects(query(first.superuserConnection, 'select 1'));

  // A postmaster.pid naming a live process that is not this cluster's PostgreSQL (a pid reused
  // after a crash) must not block the next start.
  fs.writeFileSync(path.join(dataDir, 'pgdata', 'postmaster.pid'), `${process.pid}\n${path.join(dataDir, 'pgdata')}\n`);

  t0 = Date.now();
  running = await startEmbeddedDatabase({ dataDir });
  const second = running;
  const secondMs = Date.now() - t0;
  t.diagnostic(`second start: ${secondMs} ms`);
  assert.ok(secondMs < firstMs, `second start (${secondMs} ms) is faster than the first (${firstMs} ms)`);
  assert.equal(second.jwtSecret, first.jwtSecret);
  assert.equal(second.port, first.port);
  assert.equal(second.superuserConnection, first.superuserConnection);
  const posts = await query<{ n: string }>(second.appConnection,
    "select count(*) as n from forum_example.post where headline = 'written before the restart'");
  assert.equal(posts[0].n, '1');
  const again = await query<{ n: string }>(second.appConnection, 'select count(*) as n from forum_example.person');
  assert.equal(again[0].n, '3');
  await second.stop();
  running = undefined;
});
