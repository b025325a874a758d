// v4's `.postgraphilerc.js`: the file in the working directory where v4 CLI users keep what has
// no flag, chiefly `graphileBuildOptions` (plugin options), `appendPlugins` and `enableTags`. Other keys are
// refused with a pointer to the flag, rather than silently ignored.
import fs from 'node:fs';
import path from 'node:path';
import { OptionsError } from './parse';
import { PluginError, pluginNames } from '../plugins';

export interface RcOptions {
  appendPlugins?: string[];
  graphileBuildOptions?: Record<string, unknown>;
  /** v4's `enableTags` (no flag): false reads comments without their smart tags. */
  enableTags?: boolean;
  /** jsonwebtoken's verify options: v4's CLI takes them only from this file. */
  jwtVerifyOptions?: Record<string, unknown>;
}

const RC_NAMES = ['.postgraphilerc.js', '.postgraphilerc.cjs', '.postgraphilerc.json', '.postgraphilerc'];

export function readRcFile(cwd: string): RcOptions {
  const file = RC_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
  if (!file) return {};
  const where = path.basename(file);
  let config: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    config = file.endsWith('.js') || file.endsWith('.cjs') ? require(file) : JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OptionsError(`${where} could not be read: ${(e as Error).message}`);
  }
  const options = (config as { options?: unknown } | null)?.options;
  if (options === undefined) return {};
  if (!options || typeof options !== 'object') throw new OptionsError(`${where}: 'options' must be an object`);
  const out: RcOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'graphileBuildOptions') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new OptionsError(`${where}: graphileBuildOptions must be an object`);
      }
      out.graphileBuildOptions = value as Record<string, unknown>;
    } else if (key === 'enableTags') {
      if (typeof value !== 'boolean') throw new OptionsError(`${where}: enableTags must be true or false`);
      out.enableTags = value;
    } else if (key === 'jwtVerifyOptions') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new OptionsError(`${where}: jwtVerifyOptions must be an object`);
      out.jwtVerifyOptions = value as Record<string, unknown>;
    } else if (key === 'appendPlugins') {
      const entries = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [value];
      try {
        out.appendPlugins = pluginNames(entries);
      } catch (e) {
        if (e instanceof PluginError) throw new OptionsError(`${where} appendPlugins: ${e.message}`);
        throw e;
      }
    } else {
      throw new OptionsError(`${where}: option '${key}' is not read from this file by forum-dev; pass it as a flag (see --help)`);
    }
  }
  return out;
}
