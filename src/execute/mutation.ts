// Runs a mutation operation: each compiled field on a connection held inside one transaction,
// in its own savepoint as in v4, so a failed one leaves nothing behind (the HTTP path and the
// library resolvers both go through runMutationField); a lone write whose payload reads only
// its row goes out as one statement in one round trip.
import { isNonNullType, type OperationDefinitionNode } from 'graphql';
import type { PoolClient } from 'pg';
import { queryPrepared } from '../db/prepared';
import { PoolBusyError, SettingsError, queryWithSettings, withTransaction } from '../db/transaction';
import { isUnavailable } from '../db/unavailable';
import type { Explain } from '../db/explain';
import type { Snapshot } from '../schema/snapshot';
import { makeCompiler, type OperationInput } from '../sql/compile';
import { compileMutationField, type CompiledMutation } from '../sql/mutation';
import { collectFields, type CollectedField, type ExecContext } from '../sql/selection';
import type { Compiler } from '../sql/rows';
import type { PreparedDocument } from './documents';
import { formatError, withErrors } from './errors';
import { signToken, type JwtSigner } from './json-text';
import type { RunOptions } from './operation';
import { templateStatement } from './templates';

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

/** The mutation's root fields, with `ctx`'s variables deciding @skip/@include. */
const rootFieldsOf = (snapshot: Snapshot, ctx: ExecContext, operation: OperationDefinitionNode) =>
  collectFields(ctx, snapshot.schema.getMutationType()!, [operation.selectionSet]);

/** The fields that write (all but `__typename`). */
const writesOf = (fields: CollectedField[]) => fields.filter((f) => f.name !== '__typename');

/**
 * The one write of a mutation operation as one statement (see CompiledMutation.single), from the
 * document's templates; undefined when its payload needs a second statement.
 */
function singleWrite(snapshot: Snapshot, input: OperationInput, prepared: PreparedDocument): CompiledMutation['single'] {
  const operationKey = `\0mutation ${input.operation.name?.value ?? ''}`;
  const compile = (variables: Record<string, unknown>) => {
    const c = makeCompiler({ ...input, variables });
    const [write] = writesOf(rootFieldsOf(snapshot, c, input.operation));
    const single = compileMutationField(c, write).single;
    // (no statement: remembered as such, so the usual way is taken without trying again)
    return single ? { ...single.sql, noRow: single.noRow } : { text: '', values: [] as unknown[], noRow: undefined };
  };
  const statement = templateStatement(prepared.templates, operationKey, input.variables, compile) ?? compile(input.variables);
  return statement.noRow ? { sql: statement, noRow: statement.noRow } : undefined;
}

export async function runMutation(
  snapshot: Snapshot, input: OperationInput, prepared: PreparedDocument, opts: RunOptions, explain?: Explain,
): Promise<{ body: string; errors: number }> {
  // (the operation's own context is enough to collect its fields: a compiler only when one compiles)
  const fields = rootFieldsOf(snapshot, input, input.operation);
  let compiler: Compiler | undefined;
  const c = () => (compiler ??= makeCompiler(input));
  const errors: unknown[] = [];
  const parts: string[] = [];
  // an error in a non-null mutation field (`@notNull`) nulls all data and stops, as in graphql-js
  let nulled = false;
  const failed = (f: CollectedField, e: unknown) => {
    errors.push(formatError(e, [f.key], opts, f.nodes));
    parts.push(`${JSON.stringify(f.key)}:null`);
    nulled = isNonNullType(f.field?.type);
  };
  // One write whose payload reads only its row: one statement, sent with begin, the settings and
  // commit in one round trip (a failure rolls back the whole transaction, as its savepoint would).
  const writes = writesOf(fields);
  let early: CompiledMutation | undefined;
  let single: CompiledMutation['single'];
  if (writes.length === 1 && !explain) {
    // (one that does not compile goes the usual way, so the request's settings are checked first)
    try {
      single = singleWrite(snapshot, input, prepared);
      if (!single) early = compileMutationField(c(), writes[0]);
    } catch {
      early = undefined;
    }
  }
  /** Each field in order, its payload from `run`; `infra` errors are the request's, not a field's. */
  const answer = async (run: (f: CollectedField) => Promise<string>, infra: (e: unknown) => boolean) => {
    for (const f of fields) {
      if (nulled) break;
      if (f.name === '__typename') {
        parts.push(`${JSON.stringify(f.key)}:"Mutation"`);
        continue;
      }
      try {
        parts.push(`${JSON.stringify(f.key)}:${await run(f)}`);
      } catch (e) {
        if (infra(e)) throw e;
        failed(f, e);
      }
    }
  };
  if (single) {
    await answer(async () => {
      const row = await queryWithSettings(opts.pool, opts.settings, single.sql.text, single.sql.values, opts.connection);
      if (!row) throw single.noRow();
      return row.payload as string;
    }, (e) => e instanceof SettingsError || e instanceof PoolBusyError || isUnavailable(e));
  } else {
    await withTransaction(opts.pool, opts.settings, (client) => answer(
      (f) => runMutationField(client, f === writes[0] && early ? early : compileMutationField(c(), f), opts.signJwt, explain),
      () => false,
    ), opts.connection);
  }
  return { body: withErrors(nulled ? 'null' : `{${parts.join(',')}}`, errors), errors: errors.length };
}
