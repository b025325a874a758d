// Regenerates the reference schemas in test/fixtures/v4/<name>.graphql: loads each fixture
// database and writes what PostGraphile v4 exports for it. Run after changing a fixture:
//
//   node --import tsx test/compat/export-v4.ts [name ...]
//
// Uses TEST_DATABASE_URL (a superuser URL) when set, otherwise an embedded PostgreSQL.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { startEmbedded, type Embedded } from '../helpers/embedded';
import { exportV4Schema } from '../helpers/v4';

const root = resolve(__dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures');

export interface Reference {
  name: string;
  sqlFiles: string[];
  schemas: string[];
  flags: string[];
  /** Log in as this role instead of the superuser. */
  login?: { user: string; password: string };
  /** v4 plugins (installed in test/compat) the reference is exported with; ours turns on the built-in ones. */
  appendPlugins?: string[];
  /** Their options, as v4's `graphileBuildOptions`. */
  graphileBuildOptions?: Record<string, unknown>;
}

/** Our server's options for a reference's plugins (the same names and `graphileBuildOptions`). */
export const pluginOptions = (ref: Reference) => ({ appendPlugins: ref.appendPlugins ?? [], graphileBuildOptions: ref.graphileBuildOptions ?? {} });

/** v4's options for a reference's plugins. */
export const v4PluginOptions = (ref: Reference) => ({ appendPlugins: ref.appendPlugins, graphileBuildOptions: ref.graphileBuildOptions });

const schemaFile = (name: string) => join(fixtures, 'schemas', `${name}.sql`);

/** The reference databases, with the v4 flags each is exported with. */
export const references: Reference[] = [
  {
    name: 'forum',
    sqlFiles: [join(root, 'examples/forum/schema.sql'), join(root, 'examples/forum/data.sql')],
    schemas: ['forum_example'],
    flags: ['--default-role', 'forum_example_anonymous', '--jwt-secret', 'keyboard_kitten', '--jwt-token-identifier', 'forum_example.jwt_token'],
    login: { user: 'forum_example_postgraphile', password: 'xyz' },
  },
  { name: 'types', sqlFiles: [schemaFile('types')], schemas: ['types'], flags: [] },
  { name: 'keys', sqlFiles: [schemaFile('keys')], schemas: ['keys'], flags: [] },
  { name: 'smart', sqlFiles: [schemaFile('smart')], schemas: ['smart'], flags: [] },
  { name: 'inflection', sqlFiles: [schemaFile('inflection')], schemas: ['inflection'], flags: [] },
  { name: 'functions', sqlFiles: [schemaFile('functions')], schemas: ['functions'], flags: [] },
  { name: 'extensions', sqlFiles: [schemaFile('extensions')], schemas: ['extensions'], flags: [] },
  { name: 'arrays', sqlFiles: [schemaFile('arrays')], schemas: ['arrays'], flags: [] },
  { name: 'renamed', sqlFiles: [schemaFile('renamed')], schemas: ['renamed'], flags: [] },
  { name: 'results', sqlFiles: [schemaFile('results')], schemas: ['results'], flags: [] },
  { name: 'tags', sqlFiles: [schemaFile('tags')], schemas: ['tags'], flags: [] },
  { name: 'enumtables', sqlFiles: [schemaFile('enumtables')], schemas: ['enumtables'], flags: [] },
  { name: 'shapes', sqlFiles: [schemaFile('shapes')], schemas: ['shapes'], flags: [] },
  { name: 'setofconn', sqlFiles: [schemaFile('setofconn')], schemas: ['setofconn'], flags: [] },
  {
    name: 'filter', sqlFiles: [schemaFile('filter')], schemas: ['filter'], flags: [],
    appendPlugins: ['postgraphile-plugin-connection-filter'], graphileBuildOptions: { connectionFilterRelations: true },
  },
];

async function exportOne(ref: Reference): Promise<void> {
  const db = uniqueName(`v4export_${ref.name}`);
  try {
    const url = await createDatabase(db, ref.sqlFiles);
    const connection = ref.login ? connectionAs(url, ref.login.user, ref.login.password) : url;
    const sdl = await exportV4Schema({ connection, schemas: ref.schemas, flags: ref.flags, ...v4PluginOptions(ref) });
    const out = join(fixtures, 'v4', `${ref.name}.graphql`);
    writeFileSync(out, sdl);
    console.log(`wrote ${out} (${sdl.length} bytes)`);
  } finally {
    await dropDatabase(db);
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !references.some((r) => r.name === w));
  if (unknown.length) throw new Error(`unknown reference(s): ${unknown.join(', ')}`);
  mkdirSync(join(fixtures, 'v4'), { recursive: true });
  let embedded: Embedded | undefined;
  if (!process.env.TEST_DATABASE_URL) {
    embedded = await startEmbedded();
    process.env.TEST_DATABASE_URL = embedded.url;
  }
  try {
    for (const ref of references) if (!wanted.length || wanted.includes(ref.name)) await exportOne(ref);
  } finally {
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
