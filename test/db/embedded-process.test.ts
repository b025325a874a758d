// The embedded PostgreSQL's process and files: a data dir and log only their owner can read, a
// clear refusal (not `spawn initdb EACCES`) when root's `postgres` user cannot reach the data
// dir, and no PostgreSQL left running when forum-dev is killed with SIGKILL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive, startEmbeddedDatabase } from '../../src/db/embedded';

const root = path.resolve(__dirname, '../..');
const tmp = path.join(root, 'test', '.tmp');
const dataDir = path.join(tmp, `embedded-proc-${crypto.randomBytes(4).toString('hex')}`);
const privateDir = path.join(tmp, `private-${crypto.randomBytes(4).toString('hex')}`);

after(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(privateDir, { recursive: true, force: true });
});

const mode = (file: string) => fs.statSync(file).mode & 0o777;

async function waitUntil(what: string, pred: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the data dir is 0700 and postgres.log 0600, also when they existed with wider modes', async () => {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dataDir, 0o755);
  fs.writeFileSync(path.join(dataDir, 'postgres.log'), 'old log\n', { mode: 0o644 });
  fs.chmodSync(path.join(dataDir, 'postgres.log'), 0o644);
  const db = await startEmbeddedDatabase({ dataDir });
  try {
    assert.equal(mode(dataDir), 0o700);
    assert.equal(mode(path.join(dataDir, 'postgres.log')), 0o600);
    assert.doesNotMatch(fs.readFileSync(path.join(dataDir, 'postgres.log'), 'utf8'), /old log/);
  } finally {
    await db.stop();
  }
});

test('as root, a data dir the postgres user cannot reach is a clear error before initdb', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('only root runs PostgreSQL as another user');
    return;
  }
  fs.mkdirSync(privateDir, { recursive: true });
  fs.chmodSync(privateDir, 0o700);
  await assert.rejects(startEmbeddedDatabase({ dataDir: path.join(privateDir, 'app', '.forum-dev') }), (e: Error) => {
    assert.match(e.message, new RegExp(`cannot enter ${privateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(e.message, /--data-dir/);
    assert.match(e.message, /chmod o\+x/);
    assert.doesNotMatch(e.message, /EACCES/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(privateDir, 'app')), false, 'nothing was created');
});

test('SIGKILL of forum-dev does not leave its PostgreSQL running', async () => {
  const script = `
    const { startEmbeddedDatabase } = require(${JSON.stringify(path.join(root, 'src/db/embedded.ts'))});
    startEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)} }).then((db) => console.log('READY ' + db.port));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitUntil('the embedded database', () => out.includes('READY') || child.exitCode !== null, 60_000);
  assert.match(out, /READY \d+/);
  const pid = Number(fs.readFileSync(path.join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
  assert.ok(pidAlive(pid));
  child.kill('SIGKILL');
  await waitUntil(`PostgreSQL (pid ${pid}) to stop`, () => !pidAlive(pid), 30_000);
});
