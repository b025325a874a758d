// Resolves command-line flags, then environment variables, then a `.env` file in cwd, then
// `defaultOptions` into one Options object. Anything malformed throws an OptionsError whose
// message fits on one line, so the CLI can print it as is.

import fs from 'node:fs';
import path from 'node:path';
import { defaultOptions, resolveOptions, serverOptionsProblem, websocketsProblem, type Options } from '../options';
import { findLong, findShort, flagSpecs, v4FlagRefusal, type FlagSpec } from './flags';
import { PluginError, pluginNames } from '../plugins';
import { readRcFile } from './rc';
import { buildOptionToggles } from '../schema/v4-options';
import { fromJwtVerifyOptions, type JwtVerifyFields } from '../auth/verify-options';

export class OptionsError extends Error {
  override name = 'OptionsError';
}

export interface ParsedArgs {
  options: Options;
  help: boolean;
  version: boolean;
  /** Options fields set by a flag, the environment or `.env` (not by a default). */
  explicit: Set<string>;
  /** Arguments that are not flags (e.g. a subcommand) and everything after `--`. */
  positional: string[];
  /** Options that do nothing as given, each a line saying what to do (printed, not fatal). */
  warnings: string[];
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Options {
  return parseArgs(argv, env, cwd).options;
}

const errorFields = [
  'errcode', 'severity', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery',
  'where', 'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine',
];
const jwtAlgorithms = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384',
  'PS512', 'none',
];

type Raw = Map<string, unknown>;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv, cwd: string): ParsedArgs {
  const fromFlags: Raw = new Map();
  const positional: string[] = [];
  // How the flags were written, where v4 tells apart two spellings of one option.
  const written = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = findLong(name);
      if (!spec) throw new OptionsError(v4FlagRefusal(name) ?? `unknown option '--${name}'`);
      const inline = eq === -1 ? undefined : arg.slice(eq + 1);
      written.add(`--${name}`);
      i = takeFlag(spec, `--${name}`, inline, argv, i, fromFlags);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // Bundled short flags: `-wS`, and `-p5000` / `-p 5000` for the last one taking a value.
      for (let j = 1; j < arg.length; j++) {
        const spec = findShort(arg[j]);
        if (!spec) throw new OptionsError(v4FlagRefusal(arg[j]) ?? `unknown option '-${arg[j]}'`);
        written.add(`-${arg[j]}`);
        if (takesValue(spec)) {
          const rest = arg.slice(j + 1);
          i = takeFlag(spec, `-${arg[j]}`, rest === '' ? undefined : rest, argv, i, fromFlags);
          break;
        }
        takeFlag(spec, `-${arg[j]}`, undefined, argv, i, fromFlags);
      }
    } else {
      positional.push(arg);
    }
  }
  // The deprecated spelling and the current one together: v4 refuses rather than pick one.
  if (written.has('--jwt-audiences') && (written.has('-A') || written.has('--jwt-verify-audience'))) {
    throw new OptionsError("Provide either '--jwt-audiences' or '-A, --jwt-verify-audience' but not both");
  }

  // Real environment variables win over `.env`.
  const mergedEnv: NodeJS.ProcessEnv = { ...readDotEnv(cwd), ...env };
  const fromEnv: Raw = new Map();
  for (const spec of flagSpecs) {
    if (!spec.env || fromFlags.has(spec.key)) continue;
    const value = mergedEnv[spec.env];
    if (value === undefined || value === '') continue;
    fromEnv.set(spec.key, convert(spec, value, spec.env));
  }

  const options: Options = { ...defaultOptions, schemas: [...defaultOptions.schemas] };
  const explicit = new Set<string>();
  const record = options as unknown as Record<string, unknown>;
  for (const [key, value] of [...fromEnv, ...fromFlags]) {
    if (key === 'help' || key === 'version') continue;
    record[key] = value;
    explicit.add(key);
  }
  // `.postgraphilerc.js` (v4's configuration file) gives plugins and their options; flags win.
  const rc = readRcFile(cwd);
  if (rc.appendPlugins && !explicit.has('appendPlugins')) {
    options.appendPlugins = rc.appendPlugins;
  }
  if (rc.graphileBuildOptions) options.graphileBuildOptions = rc.graphileBuildOptions;
  if (rc.enableTags !== undefined) options.enableTags = rc.enableTags;
  try {
    buildOptionToggles(options.graphileBuildOptions);
  } catch (e) {
    throw new OptionsError((e as Error).message);
  }
  if (rc.jwtVerifyOptions) Object.assign(options, rcJwtVerifyOptions(rc.jwtVerifyOptions, explicit, options.jwtAudiences));
  if (options.tagsFile === undefined && fs.existsSync(path.join(cwd, 'postgraphile.tags.json5'))) {
    options.tagsFile = 'postgraphile.tags.json5';
  }
  for (const key of ['dataDir', 'exportSchemaGraphql', 'exportSchemaJson', 'tagsFile', 'readCache', 'writeCache'] as const) {
    const value = options[key];
    if (value !== undefined) options[key] = path.resolve(cwd, value);
  }
  options.watchSql = options.watchSql.map((p) => path.resolve(cwd, p));
  if (options.noServer && !options.exportSchemaGraphql && !options.exportSchemaJson && !options.writeCache) {
    throw new OptionsError('-X/--no-server needs --export-schema-graphql, --export-schema-json or --write-cache');
  }
  const serverProblem = serverOptionsProblem(options);
  if (serverProblem) throw new OptionsError(serverProblem);
  const warnings: string[] = [];
  if (options.watchSql.length > 0 && !options.watch) {
    // A flag typed for this run is a mistake; a variable in .env may be meant for other runs.
    if (fromFlags.has('watchSql')) throw new OptionsError('--watch-sql applies SQL files in watch mode only: add -w/--watch');
    warnings.push('FORUM_DEV_WATCH_SQL is set but watch mode is off, so no SQL file is applied; add -w/--watch to apply it');
  }
  return {
    options: resolveOptions(options),
    help: fromFlags.get('help') === true,
    version: fromFlags.get('version') === true,
    explicit,
    positional,
    warnings,
  };
}

/** `.postgraphilerc.js`'s jwtVerifyOptions; as in v4, not beside the `--jwt-verify-*` flags. */
function rcJwtVerifyOptions(given: Record<string, unknown>, explicit: Set<string>, audiences: string[] | undefined): JwtVerifyFields {
  const mixed = [...explicit].filter((k) => k.startsWith('jwtVerify'));
  if (mixed.length) {
    const flags = mixed.map((k) => `--${flagSpecs.find((f) => f.key === k)!.long}`);
    throw new OptionsError(`You may not mix \`jwtVerifyOptions\` (.postgraphilerc.js) with ${flags.join(', ')}; please only provide \`jwtVerifyOptions\`.`);
  }
  try {
    return fromJwtVerifyOptions(given, explicit.has('jwtAudiences') ? audiences : undefined);
  } catch (e) {
    throw new OptionsError(`.postgraphilerc.js: ${(e as Error).message}`);
  }
}

function takesValue(spec: FlagSpec): boolean {
  return spec.kind !== 'bool' && spec.kind !== 'errorStack';
}

/** Reads one flag's value into `out`; returns the index of the last argv entry it consumed. */
function takeFlag(spec: FlagSpec, shown: string, inline: string | undefined, argv: string[], i: number,
  out: Raw): number {
  if (spec.kind === 'bool') {
    if (inline !== undefined) {
      const b = parseBool(inline, shown);
      out.set(spec.key, b ? spec.value : !spec.value);
    } else {
      out.set(spec.key, spec.value);
    }
    return i;
  }
  if (spec.kind === 'errorStack') {
    // v4 takes an optional `json` or `string`; both mean "show stacks" here.
    let value = inline;
    if (value === undefined && (argv[i + 1] === 'json' || argv[i + 1] === 'string')) value = argv[++i];
    out.set(spec.key, convert(spec, value ?? 'true', shown));
    return i;
  }
  let value = inline;
  if (value === undefined) {
    if (i + 1 >= argv.length) throw new OptionsError(`option '${shown}' needs a value`);
    value = argv[++i];
  }
  if (spec.kind === 'repeat') {
    const prev = (out.get(spec.key) as string[] | undefined) ?? [];
    out.set(spec.key, [...prev, ...(convert(spec, value, shown) as string[])]);
  } else {
    out.set(spec.key, convert(spec, value, shown));
  }
  return i;
}

function parseBool(value: string, where: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new OptionsError(`${where} must be true or false, not '${value}'`);
}

function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Converts and validates one raw string for `spec`; `where` names its source in errors. */
function convert(spec: FlagSpec, value: string, where: string): unknown {
  switch (spec.kind) {
    case 'bool':
      // Only reached from the environment, where each variable names the field it sets
      // (FORUM_DEV_IGNORE_RBAC=false), except FORUM_DEV_DISABLE_GRAPHIQL which is inverted.
      return spec.key === 'graphiql' ? !parseBool(value, where) : parseBool(value, where);
    case 'errorStack':
      if (value === 'json' || value === 'string') return true;
      return parseBool(value, where);
    case 'port': {
      if (!/^\d+$/.test(value.trim())) throw new OptionsError(`${where} must be an integer 1..65535, not '${value}'`);
      const port = Number(value.trim());
      if (port < 1 || port > 65535) throw new OptionsError(`${where} must be an integer 1..65535, not '${value}'`);
      return port;
    }
    case 'count': {
      const n = Number(value.trim());
      if (!/^\d+$/.test(value.trim()) || n < 1) throw new OptionsError(`${where} must be a whole number of at least 1, not '${value}'`);
      return n;
    }
    case 'limit': {
      if (!/^\d+$/.test(value.trim())) throw new OptionsError(`${where} must be a whole number (0 turns the limit off), not '${value}'`);
      return Number(value.trim());
    }
    case 'list':
    case 'repeat':
      return validateList(spec, splitList(value), where);
    case 'path':
      if (value.trim() === '') throw new OptionsError(`${where} needs a non-empty path`);
      return value;
    case 'string':
      return validateString(spec, value, where);
  }
}

function validateList(spec: FlagSpec, items: string[], where: string): string[] {
  if (spec.key === 'schemas' && items.length === 0) throw new OptionsError(`${where} needs at least one schema`);
  if (spec.key === 'extendedErrors') {
    const bad = items.find((f) => !errorFields.includes(f));
    if (bad) throw new OptionsError(`${where}: unknown error field '${bad}' (try hint,detail,errcode)`);
  }
  if (spec.key === 'appendPlugins') {
    try {
      return pluginNames(items);
    } catch (e) {
      if (e instanceof PluginError) throw new OptionsError(`${where}: ${e.message}`);
      throw e;
    }
  }
  if (spec.key === 'websockets') {
    const problem = websocketsProblem(items, where);
    if (problem) throw new OptionsError(problem);
    return items.filter((v) => v !== 'none');
  }
  if (spec.key === 'jwtVerifyAlgorithms') {
    const bad = items.find((a) => !jwtAlgorithms.includes(a));
    if (bad) throw new OptionsError(`${where}: unknown JWT algorithm '${bad}'`);
  }
  return items;
}

function validateString(spec: FlagSpec, value: string, where: string): unknown {
  switch (spec.key) {
    case 'jwtRole': {
      // v4 separates the path with commas; a dotted path is accepted when there is no comma.
      const parts = (value.includes(',') ? value.split(',') : value.split('.')).map((s) => s.trim());
      if (parts.some((p) => p === '')) throw new OptionsError(`${where}: empty segment in role path '${value}'`);
      return parts;
    }
    case 'graphqlRoute':
    case 'graphiqlRoute':
      if (!value.startsWith('/')) throw new OptionsError(`${where} must start with '/', not '${value}'`);
      return value;
    case 'bodySizeLimit':
      if (!/^\d+(\.\d+)?\s*(b|kb|mb|gb|tb|pb)?$/i.test(value.trim())) {
        throw new OptionsError(`${where} must be a size like 100kB or 5MB, not '${value}'`);
      }
      return value.trim();
    case 'jwtTokenIdentifier':
      if (!/^("[^"]+"|[^."\s]+)\.("[^"]+"|[^."\s]+)$/.test(value)) {
        throw new OptionsError(`${where} must be schema.type, not '${value}'`);
      }
      return value;
    case 'simpleCollections':
      if (!['omit', 'both', 'only'].includes(value)) throw new OptionsError(`${where} must be omit, both or only, not '${value}'`);
      return value;
    case 'legacyRelations':
      if (!['omit', 'deprecated', 'only'].includes(value)) throw new OptionsError(`${where} must be omit, deprecated or only, not '${value}'`);
      return value;
    case 'jwtVerifyClockTolerance':
      if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new OptionsError(`${where} must be a number of seconds, not '${value}'`);
      return Number(value.trim());
    case 'websocketOperations':
      if (value !== 'subscriptions' && value !== 'all') throw new OptionsError(`${where} must be subscriptions or all, not '${value}'`);
      return value;
    case 'host':
      if (value.trim() === '') throw new OptionsError(`${where} needs a host name`);
      return value.trim();
    default:
      if (value === '') throw new OptionsError(`${where} needs a value`);
      return value;
  }
}

/** Reads `<cwd>/.env`: KEY=VALUE lines, `export` prefixes, quotes and `#` comments. */
export function readDotEnv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  return parseDotEnv(text, file);
}

/** Parses `.env` text; a line that is not blank, a comment or KEY=VALUE is an error naming it. */
export function parseDotEnv(text: string, file = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    if (/^\s*(#.*)?$/.test(lines[n])) continue;
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(lines[n]);
    if (!m) {
      const shown = lines[n].trim().length > 40 ? `${lines[n].trim().slice(0, 40)}...` : lines[n].trim();
      throw new OptionsError(`${file}:${n + 1}: expected KEY=VALUE, found '${shown}'`);
    }
    const key = m[1];
    let rest = m[2];
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines until its closing quote.
      const start = n;
      let body = rest.slice(1);
      let end = findClose(body, quote);
      while (end === -1 && n + 1 < lines.length) {
        body += '\n' + lines[++n];
        end = findClose(body, quote);
      }
      if (end === -1) throw new OptionsError(`${file}:${start + 1}: the quoted value of ${key} is never closed (add the closing ${quote})`);
      const raw = body.slice(0, end);
      out[key] = quote === '"' ? unescape(raw) : raw;
    } else {
      const hash = rest.search(/\s#/);
      if (hash !== -1) rest = rest.slice(0, hash);
      out[key] = rest.trim();
    }
  }
  return out;
}

function findClose(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && quote === '"') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c as 'n'] ?? c);
}
