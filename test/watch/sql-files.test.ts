import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locate, watchSqlFiles, type SqlFileError } from '../../src/watch/sql-files';
import { createTestDb, run, sleep, waitFor, type TestDb } from './support';

let db: TestDb;
let dir: string;

before(async () => {
  db = await createTestDb('watch_sqlfiles');
  await run(db.url, 'create schema app; create table app.log (n int)');
  dir = mkdtempSync(join(tmpdir(), 'forum-dev-sql-'));
});

after(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function recorder() {
  const applied: string[] = [];
  const errors: SqlFileError[] = [];
  return { applied, errors, onApplied: (f: string) => void applied.push(f), onError: (e: SqlFileError) => void errors.push(e) };
}

const logRows = async (): Promise<number[]> => (await run(db.url, 'select n from app.log order by n')).map((r) => Number(r.n));

describe('locate', () => {
  it('turns a 1-based character position into line and column', () => {
    const text = 'select 1;\n-- é😀 comment\nselect * from nope;';
    assert.deepEqual(locate(text, 1), { line: 1, column: 1 });
    assert.deepEqual(locate(text, 10), { line: 1, column: 10 });
    assert.deepEqual(locate(text, 11), { line: 2, column: 1 });
    // Postgres counts characters, not UTF-16 units: the emoji is one character.
    const pos = Array.from(text).indexOf('n', 22) + 1;
    assert.deepEqual(locate(text, pos), { line: 3, column: 15 });
  });
});

describe('watchSqlFiles', () => {
  it('applies a file at start-up, again on change, and not when the content is unchanged', async () => {
    const file = join(dir, 'current.sql');
    writeFileSync(file, 'insert into app.log values (1);\n');
    const r = recorder();
    const w = await watchSqlFiles({ paths: [file], ownerConnection: db.url, ...r });
    try {
      assert.deepEqual(r.applied, [file], 'applied before watchSqlFiles resolves');
      assert.deepEqual(await logRows(), [1]);

      writeFileSync(file, 'insert into app.log values (1);\n'); // Same content, new mtime.
      await sleep(500);
      assert.deepEqual(r.applied, [file], 'unchanged content is not run again');
      assert.deepEqual(await logRows(), [1]);

      writeFileSync(file, 'insert into app.log values (2);\n');
      await waitFor('the second apply', () => r.applied.length === 2);
      assert.deepEqual(await logRows(), [1, 2]);
      assert.deepEqual(r.errors, []);
    } finally {
      await w.close();
      await run(db.url, 'truncate app.log');
    }
  });

  it('reports a failing statement with line and position, and applies nothing of the file', async () => {
    const file = join(dir, 'broken.sql');
    const text = [
      '-- a migration (é😀: positions count characters)',
      'create table app.partial (id int);',
      'insert into app.log values (10);',
      '  select * from app.missing_table;',
      'insert into app.log values (11);',
    ].join('\n');
    writeFileSync(file, text);
    const r = recorder();
    const w = await watchSqlFiles({ paths: [file], ownerConnection: db.url, ...r });
    try {
      assert.deepEqual(r.applied, []);
      assert.equal(r.errors.length, 1);
      const e = r.errors[0];
      assert.equal(e.file, file);
      assert.equal(e.code, '42P01');
      assert.match(e.message, /app\.missing_table/);
      assert.equal(e.position, Array.from(text.slice(0, text.indexOf('app.missing_table'))).length + 1);
      assert.equal(e.line, 4);
      assert.equal(e.column, 17);
      assert.deepEqual(await logRows(), []);
      assert.equal((await run(db.url, `select to_regclass('app.partial') as t`))[0].t, null);

      // Fixing the file applies it.
      writeFileSync(file, text.replace('app.missing_table', 'app.log'));
      await waitFor('the fixed file', () => r.applied.length === 1);
      assert.deepEqual(await logRows(), [10, 11]);
    } finally {
      await w.close();
      await run(db.url, 'drop table if exists app.partial; truncate app.log');
    }
  });

  it('coalesces rapid saves and applies the latest content', async (t) => {
    const file = join(dir, 'rapid.sql');
    writeFileSync(file, 'insert into app.log values (100);');
    const r = recorder();
    const w = await watchSqlFiles({ paths: [file], ownerConnection: db.url, ...r });
    try {
      assert.equal(r.applied.length, 1);
      for (let i = 1; i <= 8; i++) {
        writeFileSync(file, `insert into app.log values (${100 + i});`);
        await sleep(10);
      }
      await waitFor('the last save to be applied', () => r.applied.length >= 2);
      await sleep(500);
      t.diagnostic(`8 saves 10 ms apart -> ${r.applied.length - 1} apply(s)`);
      assert.ok(r.applied.length <= 3, `applied ${r.applied.length} times`);
      const rows = await logRows();
      assert.equal(rows.at(-1), 108, `rows ${rows}`);
      assert.ok(rows.length <= 3, `rows ${rows}`);
    } finally {
      await w.close();
      await run(db.url, 'truncate app.log');
    }
  });

  it('applies the .sql files of a folder in name order and watches new ones', async () => {
    const folder = join(dir, 'migrations');
    mkdirSync(folder);
    writeFileSync(join(folder, '02_fill.sql'), 'insert into app.ordered values (2);');
    writeFileSync(join(folder, '01_create.sql'), 'create table app.ordered (n int); insert into app.ordered values (1);');
    writeFileSync(join(folder, 'notes.txt'), 'not sql at all');
    const r = recorder();
    const w = await watchSqlFiles({ paths: [folder], ownerConnection: db.url, ...r });
    try {
      assert.deepEqual(r.applied, [join(folder, '01_create.sql'), join(folder, '02_fill.sql')]);
      assert.deepEqual(r.errors, []);
      writeFileSync(join(folder, '03_more.sql'), 'insert into app.ordered values (3);');
      writeFileSync(join(folder, 'more.txt'), 'still not sql');
      await waitFor('the new file', () => r.applied.length === 3);
      const rows = await run(db.url, 'select n from app.ordered order by n');
      assert.deepEqual(rows.map((x) => x.n), [1, 2, 3]);
      await sleep(300);
      assert.equal(r.applied.length, 3);
    } finally {
      await w.close();
    }
  });
});
