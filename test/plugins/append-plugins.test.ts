// `--append-plugins` / `appendPlugins` / `.postgraphilerc.js`: built-in plugins are turned on by
// the names (or plugin objects) v4 users already pass; anything else is refused, naming what is built in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionsError, parseOptions } from '../../src/cli/parse';
import { middlewareOptions } from '../../src/library';
import { schemaOptions } from '../../src/options';
import { PluginError, pluginName, pluginNames } from '../../src/plugins';

const root = path.resolve(__dirname, '../..');
const PLUGIN = '@graphile-contrib/pg-simplify-inflector';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realPlugin = require(path.join(root, 'test/compat/node_modules', PLUGIN)) as (...args: unknown[]) => void;

function dir(files: Record<string, string> = {}): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-plugins-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text);
  return d;
}

test('--append-plugins takes the simplify inflector by its package name; its options come from graphileBuildOptions', () => {
  const o = parseOptions(['--append-plugins', PLUGIN], {}, dir());
  assert.deepEqual(o.appendPlugins, [PLUGIN]);
  assert.deepEqual(schemaOptions(o).simplifyInflector, {
    omitListSuffix: undefined, simplifyPatch: undefined, simplifyAllRows: undefined, shortPk: undefined, simplifyMultikeyRelations: undefined,
  });
  assert.equal(schemaOptions(parseOptions([], {}, dir())).simplifyInflector, undefined);
  const env = parseOptions([], { FORUM_DEV_APPEND_PLUGINS: PLUGIN }, dir());
  assert.deepEqual(env.appendPlugins, [PLUGIN]);
});

test('any other plugin name is refused with the list of built-in plugins', () => {
  assert.throws(() => parseOptions(['--append-plugins', `${PLUGIN},postgraphile-plugin-nested-mutations`], {}, dir()), (e: Error) => {
    assert.ok(e instanceof OptionsError);
    assert.match(e.message, /^--append-plugins: The plugin 'postgraphile-plugin-nested-mutations' is not built in/);
    assert.match(e.message, new RegExp(`Built in: .*${PLUGIN.replace(/[/]/g, '\\/')}`));
    return true;
  });
});

test('.postgraphilerc.js gives appendPlugins and graphileBuildOptions, as for v4; flags win', () => {
  const rc = `module.exports = { options: { appendPlugins: [${JSON.stringify(PLUGIN)}], graphileBuildOptions: { pgOmitListSuffix: true, pgShortPk: false } } };`;
  const cwd = dir({ '.postgraphilerc.js': rc });
  const o = parseOptions([], {}, cwd);
  assert.deepEqual(o.appendPlugins, [PLUGIN]);
  assert.deepEqual(o.graphileBuildOptions, { pgOmitListSuffix: true, pgShortPk: false });
  assert.equal(schemaOptions(o).simplifyInflector?.omitListSuffix, true);
  assert.equal(schemaOptions(o).simplifyInflector?.shortPk, false);

  const bad = dir({ '.postgraphilerc.js': 'module.exports = { options: { appendPlugins: ["pg-order-by-related"] } };' });
  assert.throws(() => parseOptions([], {}, bad), /\.postgraphilerc\.js appendPlugins: The plugin 'pg-order-by-related' is not built in/);
  const unread = dir({ '.postgraphilerc.js': 'module.exports = { options: { connection: "postgres:///x" } };' });
  assert.throws(() => parseOptions([], {}, unread), /option 'connection' is not read from this file by forum-dev; pass it as a flag/);
  const badValue = dir({ '.postgraphilerc.js': `module.exports = { options: { appendPlugins: [${JSON.stringify(PLUGIN)}], graphileBuildOptions: { pgShortPk: "no" } } };` });
  assert.throws(() => schemaOptions(parseOptions([], {}, badValue)), /graphileBuildOptions.pgShortPk must be true or false, not "no"/);
});

test('the library takes the plugin object itself (or its module) and refuses others', () => {
  assert.equal(pluginName(realPlugin), PLUGIN);
  assert.equal(pluginName({ default: realPlugin }), PLUGIN);
  assert.deepEqual(pluginNames([PLUGIN, realPlugin]), [PLUGIN]);
  function MyPlugin(): void {}
  assert.throws(() => pluginName(MyPlugin), (e: Error) => e instanceof PluginError && /The plugin 'MyPlugin' is not built in.*Built in: @graphile-contrib\/pg-simplify-inflector/.test(e.message));
  assert.throws(() => pluginName(42), /The appendPlugins entry 42 is not built in/);
  const o = middlewareOptions('postgres:///x', 'public', { appendPlugins: [realPlugin], graphileBuildOptions: { pgOmitListSuffix: true } });
  assert.deepEqual(o.appendPlugins, [PLUGIN]);
  assert.equal(schemaOptions(o).simplifyInflector?.omitListSuffix, true);
  assert.throws(() => middlewareOptions('postgres:///x', 'public', { appendPlugins: ['postgraphile-plugin-upsert'] }), PluginError);
});

test('the CLI refuses an unknown plugin before connecting, exit code 2', () => {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(root, 'src/cli/main.ts'),
    '--append-plugins', 'postgraphile-plugin-many-create-update-delete'], {
    cwd: dir(), encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' }, timeout: 30_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^forum-dev: --append-plugins: The plugin 'postgraphile-plugin-many-create-update-delete' is not built in.* Built in: @graphile-contrib\/pg-simplify-inflector, postgraphile-plugin-connection-filter\.\n/);
});
