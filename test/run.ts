// Suite runner behind `npm test`: provides one PostgreSQL for the whole run (TEST_DATABASE_URL,
// or an embedded PG 17 started here), makes sure the PostGraphile v4 comparison install exists,
// then runs node's test runner on every test/**/*.test.ts (or only the paths given).
//
//   npm test                    all tests
//   npm test -- test/cli foo.ts only these files / folders
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startEmbedded, type Embedded } from './helpers/embedded';

const root = resolve(__dirname, '..');
const testDir = join(root, 'test');
const skipDirs = new Set(['node_modules', '.tmp']);

function findTests(path: string, out: string[] = []): string[] {
  if (statSync(path).isFile()) {
    out.push(path);
    return out;
  }
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory() && !skipDirs.has(entry.name)) findTests(full, out);
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

// Everything test/compat/package.json lists: v4 and the plugins compared with their built-in forms.
const compatPackages = ['postgraphile', '@graphile-contrib/pg-simplify-inflector', 'postgraphile-plugin-connection-filter'];

function ensureCompatInstall(): void {
  if (compatPackages.every((p) => existsSync(join(testDir, 'compat', 'node_modules', p)))) return;
  console.log('# installing the PostGraphile v4 comparison install (test/compat)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', join(testDir, 'compat'), '--no-audit', '--no-fund'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('npm ci --prefix test/compat failed');
}

// node-postgres with its native client (test/native): built from source against libpq on first use.
function ensureNativeInstall(): void {
  const dir = join(testDir, 'native');
  // the binding is built for one Node ABI: built again when another Node runs the tests
  const marker = join(dir, 'node_modules', '.built-for-node-abi');
  if (existsSync(join(dir, 'node_modules', 'libpq', 'build', 'Release', 'addon.node')) && existsSync(marker) && readFileSync(marker, 'utf8') === process.versions.modules) return;
  console.log('# installing node-postgres with its native client (test/native; needs libpq-dev and a C++ compiler)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci --prefix test/native failed: it builds libpq\'s binding, which needs libpq-dev, make and a C++ compiler (apt-get install -y libpq-dev build-essential)');
  writeFileSync(marker, process.versions.modules);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const files = (args.length ? args.map((a) => resolve(a)) : [testDir]).flatMap((p) => findTests(p));
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }
  ensureCompatInstall();
  if (files.some((f) => f.endsWith('native-client.test.ts'))) ensureNativeInstall();

  let embedded: Embedded | undefined;
  if (!process.env.TEST_DATABASE_URL) {
    embedded = await startEmbedded();
    console.log('# embedded PostgreSQL started for this run');
  }
  const env = { ...process.env, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? embedded!.url };

  let child: ChildProcess | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    child?.kill(sig);
    void embedded?.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const code = await new Promise<number>((res) => {
      child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-concurrency=2', ...files.map((f) => relative(root, f))],
        { cwd: root, env, stdio: 'inherit' },
      );
      child.on('error', () => res(1));
      child.on('exit', (c, sig) => res(c ?? (sig ? 1 : 0)));
    });
    return code;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
