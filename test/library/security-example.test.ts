// The security page's example, run as written (see examples/security/README.md) against the
// database it assumes: the caller's transaction sets role and user id, and row level security
// leaves exactly user 27's posts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { createSecurityDb, ensureBuilt, JWT_SECRET, root, type SecurityDb } from './setup';

let db: SecurityDb;
let modules: string;

before(async () => {
  ensureBuilt();
  db = await createSecurityDb('security');
  // `require('forum-dev')` resolves to this package, as it would once installed.
  modules = mkdtempSync(join(tmpdir(), 'forum-dev-example-'));
  mkdirSync(join(modules, 'node_modules'));
  symlinkSync(root, join(modules, 'node_modules', 'forum-dev'), 'dir');
});

after(async () => {
  await db?.drop();
  if (modules) rmSync(modules, { recursive: true, force: true });
});

function runExample(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'examples/security/example.js')], {
      cwd: join(root, 'examples/security'),
      env: { ...process.env, ...env, NODE_PATH: join(modules, 'node_modules') },
      timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** Titles in console.dir output, whichever quotes util.inspect chose. */
const titles = (out: string) => [...out.matchAll(/title: (?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g)].map((m) => m[1] ?? m[2]);

test('the example prints exactly the posts of user 27', async () => {
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  const expected = (await admin.query(`select title from posts_schema.post where author_id = 27 order by id`)).rows.map((r) => r.title);
  const others = (await admin.query(`select title from posts_schema.post where author_id <> 27 order by id`)).rows.map((r) => r.title);
  await admin.end();
  assert.ok(expected.length >= 2 && others.length >= 2, 'the example data has posts by 27 and by others');

  const r = await runExample({ DATABASE_URL: db.appUrl, JWT_SECRET });
  assert.equal(r.code, 0, `example failed:\n${r.stderr}\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /errors/);
  assert.deepEqual(titles(r.stdout), expected);
  for (const t of others) assert.ok(!r.stdout.includes(t), `post of another user leaked: ${t}`);
  assert.equal((r.stdout.match(/username: 'carol'/g) ?? []).length, expected.length);
});

test('without the claim the same login sees no post: the database, not the example, decides', async () => {
  const c = new Client({ connectionString: db.appUrl });
  await c.connect();
  try {
    const { rows } = await c.query('select count(*)::int as n from posts_schema.post');
    assert.equal(rows[0].n, 0);
    await c.query('begin');
    await c.query(`select set_config('jwt.claims.user_id', '1', true)`);
    const mine = await c.query('select distinct author_id from posts_schema.post');
    assert.deepEqual(mine.rows, [{ author_id: 1 }]);
    await c.query('rollback');
  } finally {
    await c.end();
  }
});
