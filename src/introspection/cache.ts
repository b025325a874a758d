// v4's `--write-cache` / `--read-cache`: the introspection queries' results saved to a file at
// build time, and read back at start instead of asking the database (faster cold starts, e.g.
// serverless). The cache stands in for the database connection during introspection: each
// statement's rows are stored under its text and values, so whatever introspection asks is
// answered exactly as the database answered when the file was written.
import fs from 'node:fs';
import type { Pool, PoolClient } from 'pg';

/** A pool, or one client of it (the caller's transaction). */
type Db = Pool | PoolClient;

const FORMAT = 'forum-dev introspection cache 1';

interface CacheFile {
  format: string;
  results: Record<string, unknown[]>;
}

type QueryArg = string | { name?: string; text: string; values?: unknown[] };

/** What introspection queries: a pool, or the cache standing in for one. */
export interface IntrospectionSource {
  db: Db;
  /** Writes the results recorded since the last save (`writeCache` only). */
  save(): Promise<void>;
}

const keyOf = (q: QueryArg, values?: unknown[]) => (typeof q === 'string'
  ? JSON.stringify([q, values ?? []])
  : JSON.stringify([q.text, q.values ?? values ?? []]));

/** Reads and checks a cache file (or v4's object form); the error says how to make a good one. */
function readIntrospectionCache(cache: string | Record<string, unknown>): CacheFile {
  let parsed: unknown = cache;
  if (typeof cache === 'string') {
    let text: string;
    try {
      text = fs.readFileSync(cache, 'utf8');
    } catch (e) {
      throw new Error(`Cannot read the cache file '${cache}' (${(e as Error).message}); write it first with --write-cache.`);
    }
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`Failed to parse cache file '${cache}', perhaps it is corrupted? ${(e as Error).message}`);
    }
  }
  const file = parsed as CacheFile;
  if (!file || file.format !== FORMAT || typeof file.results !== 'object') {
    throw new Error(`'${typeof cache === 'string' ? cache : 'readCache'}' is not a forum-dev introspection cache (a PostGraphile v4 cache is not one); write it again with forum-dev --write-cache.`);
  }
  return file;
}

/**
 * The source for the first introspection: the database (recording when `writeCache` is set), or
 * the cache file alone with `readCache`. Watch mode reloads keep using the pool.
 */
function introspectionSource(pool: Db, o: { readCache?: string | Record<string, unknown>; writeCache?: string }): IntrospectionSource {
  if (o.readCache) {
    const file = readIntrospectionCache(o.readCache);
    const query = async (q: QueryArg, values?: unknown[]) => {
      const rows = file.results[keyOf(q, values)];
      if (!rows) {
        throw new Error('The introspection cache does not hold what this version of forum-dev asks (it was written by another version, or for other schemas); write it again with --write-cache.');
      }
      return { rows };
    };
    return { db: { query } as unknown as Db, save: async () => {} };
  }
  if (!o.writeCache) return { db: pool, save: async () => {} };
  const file = o.writeCache;
  const results: Record<string, unknown[]> = {};
  const query = async (q: QueryArg, values?: unknown[]) => {
    const r = await pool.query(q as string, values);
    results[keyOf(q, values)] = r.rows;
    return r;
  };
  return {
    db: { query } as unknown as Db,
    save: () => writeIntrospectionCache(file, results),
  };
}

async function writeIntrospectionCache(file: string, results: Record<string, unknown[]>): Promise<void> {
  const body: CacheFile = { format: FORMAT, results };
  // Written beside the target and renamed, so a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify(body));
  await fs.promises.rename(tmp, file);
}

/** Runs `introspect` against the pool, or the cache file `o` names, and writes the cache after. */
export async function withIntrospectionCache<D extends Db, T>(
  pool: D, o: { readCache?: string | Record<string, unknown>; writeCache?: string }, introspect: (db: D) => Promise<T>,
): Promise<T> {
  const source = introspectionSource(pool, o);
  // the cache answers `query` as the pool or client would: nothing else of it is used
  const result = await introspect(source.db as D);
  await source.save();
  return result;
}
