// Checks between v4's server options that the CLI and the library share: each problem is one
// line naming the options involved (the CLI prints it, the library throws it).
import type { Options } from './options';

/** `--websockets` values: v4's `v0`/`v1`, plus `none`. */
export function websocketsProblem(values: string[], where: string): string | undefined {
  const bad = values.find((v) => !['v0', 'v1', 'none'].includes(v));
  if (bad !== undefined) return `${where} must be v0, v1 (comma-separated) or none, not '${bad}'`;
  if (values.includes('none') && values.length > 1) return `${where}: none cannot be combined with '${values.find((v) => v !== 'none')}'`;
  return undefined;
}

const CLI_NAMES = { readCache: '--read-cache', writeCache: '--write-cache', watch: '--watch' };
export const LIBRARY_NAMES = { readCache: 'readCache', writeCache: 'writeCache', watch: 'watchPg' };

/** Combinations v4 refuses, with its reasons, naming the options as the caller knows them. */
export function serverOptionsProblem(o: Pick<Options, 'readCache' | 'writeCache' | 'watch'>, n = CLI_NAMES): string | undefined {
  if (o.readCache && o.writeCache) return `use ${n.readCache} or ${n.writeCache}, not both`;
  if (o.readCache && o.watch) return `${n.readCache} cannot be used with ${n.watch}: watch mode introspects the database on every change`;
  return undefined;
}
