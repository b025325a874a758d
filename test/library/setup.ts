// The security example's database for the library tests, with a login role that may become
// `postgraphile_user`, and the compiled package the example requires.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';

export const root = resolve(__dirname, '..', '..');
export const JWT_SECRET = 'security_example_secret';
const APP_ROLE = 'security_app';
const APP_PASSWORD = 'security_app_pw';

export interface SecurityDb {
  name: string;
  adminUrl: string;
  /** Logs in as `security_app`, a member of `postgraphile_user`. */
  appUrl: string;
  drop(): Promise<void>;
}

export async function createSecurityDb(prefix: string): Promise<SecurityDb> {
  const name = uniqueName(`lib_${prefix}`);
  const adminUrl = await createDatabase(name, [join(root, 'examples/security/schema.sql')]);
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(`do $$ begin
          if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
            create role ${APP_ROLE} login password '${APP_PASSWORD}';
          end if;
        end $$`);
        await c.query(`alter role ${APP_ROLE} login password '${APP_PASSWORD}'`);
        await c.query(`grant postgraphile_user to ${APP_ROLE}`);
        break;
      } catch (e) {
        // Another test file creating the same cluster-wide role at the same moment.
        if (attempt >= 4) throw e;
      }
    }
  } finally {
    await c.end();
  }
  return { name, adminUrl, appUrl: connectionAs(adminUrl, APP_ROLE, APP_PASSWORD), drop: () => dropDatabase(name) };
}

/** Compiles the package to dist/ when any compiled file is missing or older than its source (as `npm run build`). */
export function ensureBuilt(): void {
  const entry = join(root, 'dist/src/index.js');
  const stale = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .some((e) => {
      const src = join(e.parentPath, e.name);
      const out = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
      return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
    });
  if (!stale) return;
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  // Type errors still emit JavaScript; only a missing entry point stops the example from running.
  if (!existsSync(entry)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}
