import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionsError, parseArgs, parseDotEnv, parseOptions } from '../../src/cli/parse';
import { defaultOptions, schemaOptions } from '../../src/options';
import { flagSpecs } from '../../src/cli/flags';

const root = path.resolve(__dirname, '../..');

function tmpDir(dotEnv?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forum-dev-cli-'));
  if (dotEnv !== undefined) fs.writeFileSync(path.join(dir, '.env'), dotEnv);
  return dir;
}

const empty = tmpDir();

test('no flags, env or .env gives the defaults', () => {
  const o = parseOptions([], {}, empty);
  assert.deepEqual(o, { ...defaultOptions, dataDir: path.join(empty, '.forum-dev') });
  assert.equal(o.connection, undefined);
});

test('long flags, --flag=value and short flags', () => {
  const o = parseOptions([
    '-c', 'postgres://a@h/db', '--owner-connection=postgres://o@h/db', '-s', 'app_public, app_private',
    '--default-role', 'anon', '-e', 's3cret', '-t', 'app.jwt', '--jwt-verify-algorithms', 'HS256,HS512',
    '-A', 'a,b', '--jwt-role', 'https://example.com/claims,role', '-p5001', '--host', '0.0.0.0',
    '-wM', '--watch-sql', 'a.sql', '--watch-sql=b', '--no-ignore-rbac', '-o', '-l', '2MB', '-q', '/api',
    '-i', '/ui', '--disable-query-log', '--extended-errors', 'hint,detail,errcode', '--show-error-stack', 'json',
    '--retry-on-init-fail', '-m', '4', '--data-dir', 'var/db', '--export-schema-graphql', 's.graphql', '-x', 's.json',
    '--no-prepared-statements',
  ], {}, empty);
  assert.equal(o.connection, 'postgres://a@h/db');
  assert.equal(o.ownerConnection, 'postgres://o@h/db');
  assert.deepEqual(o.schemas, ['app_public', 'app_private']);
  assert.equal(o.defaultRole, 'anon');
  assert.equal(o.jwtSecret, 's3cret');
  assert.equal(o.jwtTokenIdentifier, 'app.jwt');
  assert.deepEqual(o.jwtVerifyAlgorithms, ['HS256', 'HS512']);
  assert.deepEqual(o.jwtAudiences, ['a', 'b']);
  assert.deepEqual(o.jwtRole, ['https://example.com/claims', 'role']);
  assert.equal(o.port, 5001);
  assert.equal(o.host, '0.0.0.0');
  assert.equal(o.watch, true);
  assert.equal(o.disableDefaultMutations, true);
  assert.deepEqual(o.watchSql, [path.join(empty, 'a.sql'), path.join(empty, 'b')]);
  assert.equal(o.ignoreRbac, false);
  assert.equal(o.cors, true);
  assert.equal(o.bodySizeLimit, '2MB');
  assert.equal(o.graphqlRoute, '/api');
  assert.equal(o.graphiqlRoute, '/ui');
  assert.equal(o.disableQueryLog, true);
  assert.deepEqual(o.extendedErrors, ['hint', 'detail', 'errcode']);
  assert.equal(o.showErrorStack, true);
  assert.equal(o.retryOnInitFail, true);
  assert.equal(o.maxPoolSize, 4);
  assert.equal(o.preparedStatements, false);
  assert.equal(o.dataDir, path.join(empty, 'var/db'));
  assert.equal(o.exportSchemaGraphql, path.join(empty, 's.graphql'));
  assert.equal(o.exportSchemaJson, path.join(empty, 's.json'));
  assert.equal(o.graphiql, true);
  // --watch adds no root fields (v4's schema for v4's flags), so no WebSocket transport either.
  assert.equal(o.live, false);
  assert.equal(o.subscriptions, false);
});

test('dotted --jwt-role, graphiql off, subscription implications, -X', () => {
  assert.deepEqual(parseOptions(['--jwt-role', 'user.role'], {}, empty).jwtRole, ['user', 'role']);
  assert.equal(parseOptions(['--disable-graphiql'], {}, empty).graphiql, false);
  assert.equal(parseOptions(['-b'], {}, empty).graphiql, false);
  const simple = parseOptions(['--simple-subscriptions'], {}, empty);
  assert.equal(simple.simpleSubscriptions, true);
  assert.equal(simple.subscriptions, true);
  assert.equal(parseOptions(['-L'], {}, empty).subscriptions, true);
  assert.equal(parseOptions(['-S'], {}, empty).subscriptions, true);
  assert.equal(parseOptions(['--watch=false'], {}, empty).watch, false);
  assert.equal(parseOptions(['-X', '--export-schema-graphql', 'x.graphql'], {}, empty).noServer, true);
  const p = parseArgs(['psql', '-h', '--', '-c', 'select 1'], {}, empty);
  assert.deepEqual(p.positional, ['psql', '-c', 'select 1']);
  assert.equal(p.help, true);
  assert.equal(parseArgs(['-V'], {}, empty).version, true);
});

test('environment variables set options', () => {
  const o = parseOptions([], {
    DATABASE_URL: 'postgres://env/db', OWNER_DATABASE_URL: 'postgres://owner/db', SCHEMAS: 'a,b',
    DEFAULT_ROLE: 'anon', JWT_SECRET: 'x', JWT_PUBLIC_KEY: 'KEY', JWT_TOKEN_IDENTIFIER: 'a.jwt', PORT: '6000',
    HOST: '127.0.0.1', FORUM_DEV_DATA_DIR: '/tmp/fd', FORUM_DEV_WATCH: 'yes', FORUM_DEV_IGNORE_RBAC: 'false',
    FORUM_DEV_DISABLE_GRAPHIQL: 'true', FORUM_DEV_EXTENDED_ERRORS: 'hint', FORUM_DEV_LIVE: '1', JWT_ROLE: 'a.b',
  }, empty);
  assert.equal(o.connection, 'postgres://env/db');
  assert.equal(o.ownerConnection, 'postgres://owner/db');
  assert.deepEqual(o.schemas, ['a', 'b']);
  assert.equal(o.defaultRole, 'anon');
  assert.equal(o.jwtSecret, 'x');
  assert.equal(o.jwtPublicKey, 'KEY');
  assert.equal(o.jwtTokenIdentifier, 'a.jwt');
  assert.equal(o.port, 6000);
  assert.equal(o.host, '127.0.0.1');
  assert.equal(o.dataDir, '/tmp/fd');
  assert.equal(o.watch, true);
  assert.equal(o.ignoreRbac, false);
  assert.equal(o.graphiql, false);
  assert.deepEqual(o.extendedErrors, ['hint']);
  assert.equal(o.live, true);
  assert.equal(o.subscriptions, true);
  assert.deepEqual(o.jwtRole, ['a', 'b']);
});

test('flags win over the environment, which wins over .env', () => {
  const dir = tmpDir('PORT=7000\nHOST=from-dotenv\nSCHEMAS=dotenv_schema\nDEFAULT_ROLE=dotenv_role\n');
  const fromDotEnv = parseArgs([], {}, dir);
  assert.equal(fromDotEnv.options.port, 7000);
  assert.equal(fromDotEnv.options.host, 'from-dotenv');
  assert.ok(fromDotEnv.explicit.has('port'));
  assert.ok(!fromDotEnv.explicit.has('watch'));
  const o = parseOptions(['--port', '7002', '-s', 'flag_schema'], { PORT: '7001', HOST: 'from-env' }, dir);
  assert.equal(o.port, 7002);
  assert.equal(o.host, 'from-env');
  assert.deepEqual(o.schemas, ['flag_schema']);
  assert.equal(o.defaultRole, 'dotenv_role');
});

test('.env parsing: quotes, comments, export, escapes', () => {
  const env = parseDotEnv([
    '# a comment', '', 'A=plain value # trailing comment', "B='single # not a comment'",
    'export C="line1\\nline2"', 'D = spaced ', 'E="multi', 'line"', 'F=', '   ', '  # indented comment', 'G=a#b',
  ].join('\r\n'));
  assert.deepEqual(env, {
    A: 'plain value', B: 'single # not a comment', C: 'line1\nline2', D: 'spaced', E: 'multi\nline', F: '',
    G: 'a#b',
  });
});

test('unknown flags and bad values throw OptionsError', () => {
  const bad: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--bogus'], {}, /unknown option '--bogus'/],
    [['-Z'], {}, /unknown option '-Z'/],
    [['--dynamic-jsons'], {}, /unknown option/],
    [['--port'], {}, /needs a value/],
    [['--port', '0'], {}, /1\.\.65535/],
    [['-p', '65536'], {}, /1\.\.65535/],
    [['--port=50.5'], {}, /1\.\.65535/],
    [['-p', 'abc'], {}, /1\.\.65535/],
    [[], { PORT: '80x' }, /PORT must be an integer/],
    [['--max-pool-size', '0'], {}, /at least 1, not '0'/],
    [['-m', '2.5'], {}, /whole number/],
    [[], { FORUM_DEV_MAX_POOL_SIZE: 'ten' }, /FORUM_DEV_MAX_POOL_SIZE must be a whole number/],
    [[], { FORUM_DEV_WATCH: 'maybe' }, /FORUM_DEV_WATCH must be true or false/],
    [['--jwt-audiences', 'a', '-A', 'b'], {}, /either '--jwt-audiences' or '-A, --jwt-verify-audience' but not both/],
    [['--jwt-verify-audience=b', '--jwt-audiences=a'], {}, /but not both/],
    [['--graphql', 'api'], {}, /must start with '\/'/],
    [['--extended-errors', 'hint,bogus'], {}, /unknown error field 'bogus'/],
    [['--jwt-verify-algorithms', 'HS999'], {}, /unknown JWT algorithm/],
    [['--body-size-limit', 'lots'], {}, /size like/],
    [['-t', 'nodot'], {}, /schema\.type/],
    [['-s', ','], {}, /at least one schema/],
    [['--jwt-role', 'a..b'], {}, /empty segment/],
    [['--simple-collections', 'some'], {}, /must be omit, both or only/],
    [['-X'], {}, /--no-server needs/],
    [['--watch=perhaps'], {}, /must be true or false/],
  ];
  for (const [argv, env, message] of bad) {
    assert.throws(() => parseOptions(argv, env, empty), (err: unknown) => {
      assert.ok(err instanceof OptionsError, `${argv.join(' ')} threw ${String(err)}`);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
});

function cli(args: string[], cwd = empty) {
  // tsx is resolved by path because the child runs in a directory without node_modules.
  return spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(root, 'src/cli/main.ts'), ...args], {
    cwd, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', PORT: '' }, timeout: 30_000,
  });
}

test('the CLI exits 2 with a one-line message on a bad flag', () => {
  const r = cli(['--bogus']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "forum-dev: unknown option '--bogus'\nTry 'forum-dev --help'.\n");
  const stray = cli(['serve-please']);
  assert.equal(stray.status, 2);
  assert.match(stray.stderr, /^forum-dev: unexpected argument 'serve-please'\n/);
});

test('--help lists every flag with its variable; --version prints the package version', () => {
  const help = cli(['--help']);
  assert.equal(help.status, 0);
  for (const spec of flagSpecs) {
    assert.ok(help.stdout.includes(`--${spec.long}`), `help mentions --${spec.long}`);
    if (spec.short) assert.ok(help.stdout.includes(`-${spec.short}, --${spec.long}`));
    if (spec.env) assert.ok(help.stdout.includes(`[env ${spec.env}]`), `help mentions ${spec.env}`);
  }
  const version = cli(['-V']);
  assert.equal(version.status, 0);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout, `${pkg.version}\n`);
});

test('.env.example documents every variable and parses to valid options', () => {
  const text = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
  const uncommented = text.split('\n').map((l) => l.replace(/^# (?=[A-Z_]+=)/, '')).join('\n');
  const env = parseDotEnv(uncommented);
  for (const spec of flagSpecs) {
    if (spec.env) assert.ok(spec.env in env, `.env.example lists ${spec.env}`);
  }
  // --read-cache excludes --write-cache and --watch (as in v4): all the others at once
  const dir = tmpDir(uncommented.replace(/^FORUM_DEV_READ_CACHE=.*$/m, ''));
  const o = parseOptions([], {}, dir);
  assert.equal(o.connection, env.DATABASE_URL);
  assert.equal(o.noServer, true);
});

test('v4 flags forum-dev does not take are refused by name, long and short', () => {
  assert.throws(() => parseOptions(['--skip-plugins', 'x'], {}, empty), /'--skip-plugins' is a PostGraphile v4 option that forum-dev does not support/);
  assert.throws(() => parseOptions(['--bogus-flag'], {}, empty), /unknown option '--bogus-flag'/);
  assert.equal(parseOptions(['-N'], {}, empty).setofFunctionsContainNulls, false);
  assert.equal(parseOptions([], {}, empty).setofFunctionsContainNulls, true);
});

test('limit flags and their variables: whole numbers, 0 turns a limit off', () => {
  const o = parseOptions([
    '--max-query-depth', '5', '--max-query-cost=0', '--max-page-size', '50', '--max-aliases', '7', '--max-root-fields', '3',
    '--max-document-length', '2000', '--disable-introspection', '--statement-timeout', '250', '--pool-wait-timeout', '0',
  ], {}, empty);
  assert.deepEqual(
    [o.maxQueryDepth, o.maxQueryCost, o.maxPageSize, o.maxAliases, o.maxRootFields, o.maxDocumentLength, o.disableIntrospection, o.statementTimeout, o.poolWaitTimeout],
    [5, 0, 50, 7, 3, 2000, true, 250, 0],
  );
  const d = parseOptions([], {}, empty);
  assert.deepEqual([d.maxQueryDepth, d.maxPageSize, d.disableIntrospection, d.statementTimeout, d.poolWaitTimeout], [20, 100000, false, 30000, 5000]);
  assert.equal(parseOptions([], { FORUM_DEV_MAX_QUERY_DEPTH: '9', FORUM_DEV_DISABLE_INTROSPECTION: 'true' }, empty).maxQueryDepth, 9);
  assert.throws(() => parseOptions(['--max-query-depth', '-1'], {}, empty), /--max-query-depth must be a whole number/);
  assert.throws(() => parseOptions([], { FORUM_DEV_STATEMENT_TIMEOUT: '5s' }, empty), /FORUM_DEV_STATEMENT_TIMEOUT must be a whole number/);
});

test("v4's schema flags: -a, --no-ignore-indexes, --include-extension-resources, --use-partitioned-parent, --legacy-*, --sort-export", () => {
  const d = parseOptions([], {}, empty);
  assert.deepEqual(
    [d.classicIds, d.ignoreIndexes, d.includeExtensionResources, d.usePartitionedParent, d.legacyRelations, d.legacyJsonUuid, d.sortExport, d.enableTags],
    [false, true, false, false, 'deprecated', false, false, true],
  );
  const o = parseOptions(['-a', '--no-ignore-indexes', '--include-extension-resources', '--use-partitioned-parent',
    '--legacy-relations', 'omit', '--legacy-json-uuid', '--sort-export'], {}, empty);
  assert.deepEqual(
    [o.classicIds, o.ignoreIndexes, o.includeExtensionResources, o.usePartitionedParent, o.legacyRelations, o.legacyJsonUuid, o.sortExport],
    [true, false, true, true, 'omit', true, true],
  );
  assert.equal(parseOptions([], { FORUM_DEV_LEGACY_RELATIONS: 'only', FORUM_DEV_IGNORE_INDEXES: 'false' }, empty).legacyRelations, 'only');
  assert.throws(() => parseOptions(['--legacy-relations', 'some'], {}, empty), /--legacy-relations must be omit, deprecated or only, not 'some'/);
  const rc = (gbo: string) => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, '.postgraphilerc.js'), `module.exports = { options: { graphileBuildOptions: ${gbo} } };`);
    return dir;
  };
  const s = schemaOptions(parseOptions([], {}, rc('{ pgStrictFunctions: true, orderByNullsLast: false, pgUseCustomNetworkScalars: true, pgGeometricTypes: true }')));
  assert.deepEqual([s.pgStrictFunctions, s.orderByNullsLast, s.pgUseCustomNetworkScalars, s.pgGeometricTypes], [true, false, true, true]);
  assert.throws(() => parseOptions([], {}, rc('{ orderByNullsLast: "yes" }')), /graphileBuildOptions.orderByNullsLast must be true or false, not "yes"/);
  const tagsOff = tmpDir();
  fs.writeFileSync(path.join(tagsOff, '.postgraphilerc.js'), 'module.exports = { options: { enableTags: false } };');
  assert.equal(schemaOptions(parseOptions([], {}, tagsOff)).enableTags, false);
  assert.throws(() => parseOptions([], {}, rc('{ pgGeometricTypes: 1 }')), /graphileBuildOptions.pgGeometricTypes must be true or false, not 1/);
});
