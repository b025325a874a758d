// The import graph keeps the pipeline's shape: folders import forwards only (no cycles between
// them), sql/ stays pure (no naming, no I/O), db/ knows nothing of auth/, and no stage reaches
// back into cli/. Read from the source, so a new import that breaks a rule fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const src = resolve(__dirname, '..', 'src');

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) files(full, out);
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Each source file (relative to src/, without .ts) → the src files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(src)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/(?:from|require\(|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      targets.push(relative(src, resolve(dirname(file), m[1])));
    }
    graph.set(relative(src, file).replace(/\.ts$/, ''), targets);
  }
  return graph;
}

const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0] : path);

test('no forbidden edges: sql -> schema/inflection or db, db -> auth, stages -> cli', () => {
  const bad: string[] = [];
  for (const [from, targets] of importGraph()) {
    for (const to of targets) {
      const rule = folderOf(from) === 'sql' && (to.startsWith('schema/inflection') || folderOf(to) === 'db') ? 'sql/ is pure'
        : folderOf(from) === 'db' && folderOf(to) === 'auth' ? 'db/ does not know auth/'
          : ['execute', 'http', 'realtime', 'watch', 'schema', 'sql', 'db', 'auth', 'introspection'].includes(folderOf(from))
            && folderOf(to) === 'cli' ? 'stages do not import cli/' : undefined;
      if (rule) bad.push(`${from} -> ${to} (${rule})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no import cycles between folders', () => {
  const edges = new Map<string, Set<string>>();
  for (const [from, targets] of importGraph()) {
    for (const to of targets) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a === b || !from.includes('/') || !to.includes('/')) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
  }
  const cycles: string[] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      if (next === path[0]) cycles.push([...path, next].join(' -> '));
      else if (!path.includes(next)) visit(next, [...path, next]);
    }
  };
  for (const start of edges.keys()) visit(start, [start]);
  assert.deepEqual(cycles, []);
});
