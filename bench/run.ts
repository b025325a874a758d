// Runs every benchmark in this folder (bench/*.ts except this file) one after another, each in
// its own Node process so one benchmark's servers and timers cannot skew the next.
//
//   npm run bench                 all benchmarks
//   npm run bench -- watch        only bench/watch.ts (names without .ts)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = __dirname;
const wanted = process.argv.slice(2).map((a) => basename(a).replace(/\.ts$/, ''));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== basename(__filename))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.ts$/, '')))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n# bench/${file}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, file)], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    failed++;
    console.log(`# bench/${file} failed (${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
