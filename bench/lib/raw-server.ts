// The raw limit of the comparison: a minimal node:http + pg server that answers each workload
// with ONE hand-written statement returning the final JSON. Like the GraphQL servers it runs
// every request in a transaction with the same set_config calls (default role, or the JWT's role
// and claims), and sends begin, settings, statement and commit together: one round trip.
// The introspection workload has no statement: it answers with cached bytes.
//
// With `implicit`, the same statement and settings go out as forum-dev sends them: the two in
// one implicit transaction ended by one Sync, through forum-dev's own queryPipeline, with no
// BEGIN or COMMIT. That is the floor for forum-dev's transport, beside the limit as defined.
//
//   node raw-server.js <spec.json> <port> [implicit]    (built by bench/compare.ts; prints "listening")
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { queryPipeline } from '../../src/db/prepared';

export interface RawSpec {
  connection: string;
  jwtSecret: string;
  defaultRole: string;
  /** The request's query text -> the statement answering it and its parameters' variables. */
  statements: { query: string; sql: string; params: string[] }[];
  /** The request's query text -> a fixed answer (W6). */
  cached: { query: string; answer: string }[];
}

const [specFile, port, mode] = process.argv.slice(2);
const implicit = mode === 'implicit';
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as RawSpec;
// the key object made once, as forum-dev makes it (a string secret costs a failed key parse per call)
const secretKey = createSecretKey(Buffer.from(spec.jwtSecret));
const statements = new Map(spec.statements.map((s, i) => [s.query, { ...s, name: `raw_${i}` }]));
const cached = new Map(spec.cached.map((c) => [c.query, Buffer.from(c.answer)]));
const pool = new Pool({ connectionString: spec.connection, pipeline: true } as PoolConfig);

function settings(authorization: string | undefined): string[] {
  if (!authorization) return ['role', spec.defaultRole];
  const claims = jwt.verify(authorization.replace(/^Bearer /i, ''), secretKey, { audience: 'postgraphile' }) as Record<string, unknown>;
  const out = ['role', String(claims.role ?? spec.defaultRole)];
  for (const [k, v] of Object.entries(claims)) out.push(`jwt.claims.${k}`, String(v));
  return out;
}

async function answer(client: PoolClient, query: string, variables: Record<string, unknown>, auth?: string): Promise<string> {
  const st = statements.get(query);
  if (!st) throw new Error('unknown query');
  const values = settings(auth);
  const calls = [];
  for (let i = 1; i < values.length; i += 2) calls.push(`set_config($${i}, $${i + 1}, true)`);
  const params = st.params.map((p) => variables?.[p]);
  if (implicit) {
    const outcome = await queryPipeline(client, [{ text: `select ${calls.join(', ')}`, values }, { text: st.sql, values: params }]);
    if (!outcome.ok) throw outcome.error;
    return Object.values(outcome.results[1].rows[0])[0] as string;
  }
  // Issued without awaiting in between: node-postgres pipelines them on the connection.
  const [, , main] = await Promise.all([
    client.query('begin'),
    client.query({ name: `set_${values.length / 2}`, text: `select ${calls.join(', ')}`, values }),
    client.query({ name: st.name, text: st.sql, values: params, rowMode: 'array' }),
    client.query('commit'),
  ]);
  return main.rows[0][0] as string;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    let client: PoolClient | undefined;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown> };
      const fixed = cached.get(body.query);
      if (fixed) {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': fixed.length });
        res.end(fixed);
        return;
      }
      client = await pool.connect();
      const text = await answer(client, body.query, body.variables ?? {}, req.headers.authorization);
      const out = Buffer.from(text);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': out.length });
      res.end(out);
    } catch (e) {
      // A failed statement leaves the connection mid-transaction: do not reuse it.
      client?.release(true);
      client = undefined;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: (e as Error).message }] }));
    } finally {
      client?.release();
    }
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
