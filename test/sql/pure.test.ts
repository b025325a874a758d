// sql/ compiles from what the schema recorded: it never imports the inflector, the node
// interface or anything that does I/O (db/, pg), so a renamed type cannot make it disagree with
// the schema and compiling never touches a connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const sqlDir = join(root, 'src', 'sql');

/** Every module specifier a file imports or re-exports, resolved to a path under the repository when relative. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g), ...text.matchAll(/require\('([^']+)'\)/g)]
    .map((m) => m[1]);
  return specs.map((s) => (s.startsWith('.') ? relative(root, resolve(sqlDir, s)) : s));
}

test('sql/ imports neither the inflector, the node interface, db/ nor pg', () => {
  const files = readdirSync(sqlDir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 8, `only ${files.length} files in src/sql`);
  const bad: string[] = [];
  for (const f of files) {
    for (const spec of importsOf(join(sqlDir, f))) {
      if (/^src\/schema\/(inflection|node)|^src\/db(\/|$)|^pg$/.test(spec)) bad.push(`${f} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the import check sees imports at all', () => {
  const specs = importsOf(join(sqlDir, 'compile.ts'));
  assert.ok(specs.includes('graphql'), JSON.stringify(specs));
  assert.ok(specs.includes('src/sql/fragment'), JSON.stringify(specs));
});
