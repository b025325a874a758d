// Runs one compiled mutation field on a connection the caller holds inside a transaction. Each
// field gets its own savepoint, as in v4, so a failed one leaves nothing behind; the HTTP path
// and the library resolvers both go through here.
import type { PoolClient } from 'pg';
import { queryPrepared } from '../db/prepared';
import type { CompiledMutation } from '../sql/mutation';
import type { Explain } from '../db/explain';
import { signToken, type JwtSigner } from './json-text';

/** The field's payload JSON text (markers still in it, see json-text.ts). */
export async function runMutationField(client: PoolClient, m: CompiledMutation, sign?: JwtSigner, explain?: Explain): Promise<string> {
  // (planned before the savepoint: a plan that cannot be made rolls back only its own)
  await explain?.(client, m.first.text, m.first.values);
  // the savepoint and the field's first statement go out together
  const [saved, ran] = await Promise.allSettled([
    client.query('savepoint graphql_mutation'),
    m.prepared ? queryPrepared(client, m.first.text, m.first.values) : client.query(m.first.text, m.first.values),
  ]);
  try {
    if (saved.status === 'rejected') throw saved.reason;
    if (ran.status === 'rejected') throw ran.reason;
    const first = ran.value.rows[0] as Record<string, unknown> | undefined;
    const claims = m.signs && typeof first?.claims === 'string' ? JSON.parse(first.claims) : null;
    const st = m.payload(first, m.signs ? signToken(claims, sign) : undefined);
    await explain?.(client, st.text, st.values);
    const { rows } = await queryPrepared(client, st.text, st.values);
    await client.query('release savepoint graphql_mutation');
    return rows[0].payload as string;
  } catch (e) {
    await client.query('rollback to savepoint graphql_mutation');
    throw e;
  }
}
