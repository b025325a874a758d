// `--export-schema-graphql` / `--export-schema-json`: the schema written to files at start and
// after every reload, for tools (codegen, editors) that read it.
import { rename, writeFile } from 'node:fs/promises';
import { graphqlSync, getIntrospectionQuery, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

export interface ExportPaths {
  exportSchemaGraphql?: string;
  exportSchemaJson?: string;
  /** v4's `--sort-export`: types, fields and arguments by name, for stable diffs. */
  sortExport?: boolean;
}

/** Writes next to the file, then renames: tools watching the file never see half of it. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export async function exportSchema(served: GraphQLSchema, paths: ExportPaths): Promise<void> {
  if (!paths.exportSchemaGraphql && !paths.exportSchemaJson) return;
  const schema = paths.sortExport ? lexicographicSortSchema(served) : served;
  if (paths.exportSchemaGraphql) await writeAtomically(paths.exportSchemaGraphql, `${printSchema(schema)}\n`);
  if (paths.exportSchemaJson) {
    const result = graphqlSync({ schema, source: getIntrospectionQuery() });
    await writeAtomically(paths.exportSchemaJson, `${JSON.stringify(result, null, 2)}\n`);
  }
}
