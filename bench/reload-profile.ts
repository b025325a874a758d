// Where a reload of the 300-table schema spends its time: introspection, the build a reload
// does (reusing the previous one's unchanged parts), a full build for comparison, the change
// summary. The minimum is the steadier number on a shared machine.
//
//   node --import tsx bench/reload-profile.ts
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { introspect } from '../src/introspection/introspect';
import { defaultOptions, resolveOptions, schemaOptions } from '../src/options';
import { makeSnapshot } from '../src/schema/snapshot';
import { diffSchemasInSlices } from '../src/watch/describe';
import { createDatabase, dropDatabase, uniqueName } from '../test/helpers/db';
import { startEmbedded } from '../test/helpers/embedded';
import { stats, wideSchemaSql } from './watch';

async function main(): Promise<void> {
  const embedded = process.env.TEST_DATABASE_URL ? undefined : await startEmbedded();
  if (embedded) process.env.TEST_DATABASE_URL = embedded.url;
  const name = uniqueName('bench_reload');
  const url = await createDatabase(name, []);
  try {
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query(wideSchemaSql(300));
    await c.end();
    const pool = new Pool({ connectionString: url, max: 2 });
    const opts = schemaOptions(resolveOptions({ ...defaultOptions, connection: url, schemas: ['wide'] }));
    const t: Record<string, number[]> = { introspect: [], 'reload build': [], 'full build': [], diff: [] };
    let prev = makeSnapshot(await introspect(pool, opts.schemas, opts), opts, 1);
    for (let i = 0; i < 30; i++) {
      await pool.query(`alter table wide.entity_150 add column p_${i} int`);
      let t0 = performance.now();
      const model = await introspect(pool, opts.schemas, opts);
      t.introspect.push(performance.now() - t0);
      t0 = performance.now();
      makeSnapshot(model, opts, prev.generation + 1);
      t['full build'].push(performance.now() - t0);
      t0 = performance.now();
      const next = makeSnapshot(model, opts, prev.generation + 1, prev);
      t['reload build'].push(performance.now() - t0);
      t0 = performance.now();
      await diffSchemasInSlices(prev.schema, next.schema);
      t.diff.push(performance.now() - t0);
      prev = next;
    }
    for (const [k, v] of Object.entries(t)) {
      const s = stats(v.slice(5));
      console.log(`${k.padEnd(12)} median ${s.median.toFixed(1)} ms  min ${s.min.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms`);
    }
    await pool.end();
  } finally {
    await dropDatabase(name);
    await embedded?.stop();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
