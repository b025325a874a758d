// The `--help` text, generated from the flag table so every flag and its variable is listed.

import { flagSpecs } from './flags';

export function usage(version: string): string {
  const rows = flagSpecs.map((s) => {
    const long = `--${s.long}${s.arg ? ` ${s.arg}` : ''}`;
    const left = s.short ? `  -${s.short}, ${long}` : `      ${long}`;
    const env = s.env ? ` [env ${s.env}]` : '';
    return { left, right: `${s.help}${env}` };
  });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  return [
    `forum-dev ${version}: a PostgreSQL schema as a PostGraphile-v4-shaped GraphQL API`,
    '',
    'Usage:',
    '  forum-dev [options]          serve GraphQL (embedded database unless -c/DATABASE_URL)',
    '  forum-dev psql [-- ARGS]     open psql on the running embedded database as superuser',
    '',
    'Options (flags win over environment variables, which win over ./.env):',
    ...rows.map((r) => r.left.padEnd(width) + r.right),
    '',
    'Examples:',
    '  npx forum-dev',
    '  npx forum-dev -c postgres://user:pass@localhost/db -s app_public --watch',
    '  npx forum-dev --jwt-secret keyboard_kitten --jwt-token-identifier forum_example.jwt_token',
    '',
  ].join('\n');
}
