// Our schema for every reference database, compared with the SDL PostGraphile v4 exports for it
// (test/fixtures/v4, written by test/compat/export-v4.ts with the same schemas and flags).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { pluginOptions, references, type Reference } from '../compat/export-v4';
import { compareSdl, loadDbComments } from '../helpers/compare-schema';
import { connectionAs, createDatabase, dropDatabase, uniqueName } from '../helpers/db';
import { root, startOurs } from './setup';

// Fixtures whose schema does not match v4 yet, with the reason; empty when all match.
const known: Record<string, string> = {};

async function differences(ref: Reference): Promise<string[]> {
  const db = uniqueName(`e2e_schema_${ref.name}`);
  const admin = await createDatabase(db, ref.sqlFiles);
  try {
    const connection = ref.login ? connectionAs(admin, ref.login.user, ref.login.password) : admin;
    const forum = ref.name === 'forum';
    const ours = await startOurs(connection, forum ? {} : {
      schemas: ref.schemas, defaultRole: undefined, jwtSecret: undefined, jwtTokenIdentifier: undefined, ...pluginOptions(ref),
    });
    try {
      const sdl = printSchema(ours.server.live.current().schema);
      const v4 = readFileSync(join(root, 'test/fixtures/v4', `${ref.name}.graphql`), 'utf8');
      return compareSdl(v4, sdl, { dbDescriptions: await loadDbComments(admin, ref.schemas) });
    } finally {
      await ours.close();
    }
  } finally {
    await dropDatabase(db);
  }
}

for (const ref of references) {
  if (ref.flags.length && ref.name !== 'forum') throw new Error(`flags of ${ref.name} are not mapped to options`);
  test(`schema of ${ref.name} matches PostGraphile v4`, { todo: known[ref.name] }, async () => {
    const diffs = await differences(ref);
    assert.deepEqual(diffs, [], `${diffs.length} differences:\n${diffs.slice(0, 40).join('\n')}`);
  });
}
