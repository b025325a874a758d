// One mutation root field: the write (returning the row as composite text, which keeps the row
// visible to the payload even when RLS would hide it from a fresh select), then one select that
// builds the payload JSON from that row.
import { GraphQLInputObjectType, GraphQLObjectType, getNamedType, type GraphQLInputType } from 'graphql';
import type { PoolClient } from 'pg';
import { queryPrepared } from '../db/prepared';
import type { Model, PgAttribute, PgClass, PgType } from '../introspection/model';
import type { FieldPlan, MutationPlan, OrderByValue } from '../schema/plans';
import { keyedCursorExpr, resolveOrdering, specExpr } from './ordering';

import { decodeNodeId, nodeAlias } from '../schema/node';
import { rootObject } from './compile';
import { compile, sql, type SQL } from './fragment';
import {
  aliasRef, fieldPlan, inputValue, jsonObject, nodeIdExpr, procArgsSql, rowObject, valueExpr, type Compiler,
} from './rows';
import { argumentValues, collectFields, subSelections, type CollectedField } from './selection';
import { inputExpr, outputExpr, plausibleValue, typeRef } from './values';

export interface CompiledMutation {
  run(client: PoolClient, signJwt?: (claims: Record<string, unknown>) => string): Promise<string>;
}

const tableRef = (t: PgClass) => sql.ident(t.namespaceName, t.name);

/** Column values from an input object (`PersonInput`/`PersonPatch`), keyed by GraphQL field. */
function columnValues(c: Compiler, inputTypeOf: GraphQLInputType, value: Record<string, unknown>): Array<[PgAttribute, SQL]> {
  const fields = (getNamedType(inputTypeOf) as GraphQLInputObjectType).getFields();
  const out: Array<[PgAttribute, SQL]> = [];
  for (const [name, v] of Object.entries(value)) {
    const meta = fields[name]?.extensions?.forumDev as { attr: PgAttribute; type: PgType } | undefined;
    if (!meta || v === undefined) continue;
    out.push([meta.attr, inputValue(c, v, meta.type)]);
  }
  return out;
}

function keyWhere(c: Compiler, table: PgClass, plan: MutationPlan & { kind: 'update' | 'delete' }, input: Record<string, any>, f: CollectedField): SQL {
  let keys: PgAttribute[];
  let values: unknown[];
  if (plan.by === 'nodeId') {
    const decoded = decodeNodeId(input.nodeId);
    keys = table.primaryKey!.keyAttributeNums.map((n) => table.attributes.find((a) => a.num === n)!);
    if (decoded.alias !== nodeAlias(table) || decoded.keys.length !== keys.length
      || keys.some((k, i) => !plausibleValue(decoded.keys[i], c.lookupType(k.typeId)))) {
      throw new Error(`Mismatched type in nodeId: expected a \`${nodeAlias(table)}\` id.`);
    }
    values = decoded.keys;
  } else {
    keys = plan.by;
    const inputType = getNamedType(f.field!.args[0].type) as GraphQLInputObjectType;
    const names = Object.keys(inputType.getFields()).slice(-keys.length);
    values = names.map((n) => input[n]);
  }
  return sql.join(keys.map((k, i) => sql`${sql.ident(k.name)} = ${inputExpr(values[i], c.lookupType(k.typeId), c.lookupType)}`), ' and ');
}

export function compileMutationField(c: Compiler, model: Model, f: CollectedField): CompiledMutation {
  const p = fieldPlan(f);
  if (!p || p.kind !== 'mutation') throw new Error(`Cannot query field "${f.name}" on type "Mutation".`);
  const m = p.mutation;
  const input = argumentValues(c, f).input as Record<string, any>;
  const inputType = getNamedType(f.field!.args[0].type) as GraphQLInputObjectType;
  const payloadType = getNamedType(f.field!.type) as GraphQLObjectType;
  const clientMutationId = input.clientMutationId ?? null;

  if (m.kind === 'proc') return procMutation(c, model, f, m, input, payloadType, clientMutationId);

  const table = m.table;
  let write: SQL;
  const t = sql.raw('__w');
  if (m.kind === 'create') {
    const cols = columnValues(c, inputType.getFields()[m.inputField].type, input[m.inputField] ?? {});
    write = cols.length
      ? sql`insert into ${tableRef(table)} as ${t} (${sql.join(cols.map(([a]) => sql.ident(a.name)), ', ')}) values (${sql.join(cols.map(([, v]) => v), ', ')}) returning ${t}::text as row`
      : sql`insert into ${tableRef(table)} as ${t} default values returning ${t}::text as row`;
  } else if (m.kind === 'update') {
    const cols = columnValues(c, inputType.getFields()[m.patchField].type, input[m.patchField] ?? {});
    const where = keyWhere(c, table, m, input, f);
    write = cols.length
      ? sql`update ${tableRef(table)} as ${t} set ${sql.join(cols.map(([a, v]) => sql`${sql.ident(a.name)} = ${v}`), ', ')} where ${where} returning ${t}::text as row`
      : sql`select ${t}::text as row from ${tableRef(table)} as ${t} where ${where}`;
  } else {
    write = sql`delete from ${tableRef(table)} as ${t} where ${keyWhere(c, table, m, input, f)} returning ${t}::text as row`;
  }
  const writeSql = compile(write);
  const verb = m.kind === 'create' ? 'created' : m.kind === 'update' ? 'updated' : 'deleted';
  return {
    async run(client) {
      const { rows } = await queryPrepared(client, writeSql.text, writeSql.values);
      if (rows.length === 0) {
        const v = m.kind === 'update' ? 'update' : 'delete';
        throw new Error(`No values were ${verb} in collection '${nodeAlias(table)}' because no values you can ${v} were found matching these criteria.`);
      }
      return payload(c, model, table.typeId, table, rows[0].row, payloadType, f, clientMutationId, client);
    },
  };
}

async function payload(
  c: Compiler, model: Model, typeId: string, table: PgClass | null, rowText: string | null,
  payloadType: GraphQLObjectType, f: CollectedField, clientMutationId: unknown, client: PoolClient,
  result?: SQL,
): Promise<string> {
  const r = sql.raw('__r');
  const row = table ? aliasRef(r, table) : null;
  const pairs: Array<[string, SQL]> = [];
  for (const s of collectFields(c, payloadType, subSelections(f))) {
    const p = fieldPlan(s) as FieldPlan | undefined;
    if (s.name === '__typename') { pairs.push([s.key, sql.literal(payloadType.name)]); continue; }
    switch (p?.kind) {
      case 'payloadClientMutationId': pairs.push([s.key, sql`${clientMutationId}::text`]); break;
      case 'payloadQuery': pairs.push([s.key, rootObject(c, model, subSelections(s))]); break;
      case 'payloadRow':
        pairs.push([s.key, row && rowText !== null ? rowObject(c, row, getNamedType(s.field!.type) as GraphQLObjectType, subSelections(s)) : sql`null::json`]);
        break;
      case 'payloadResult': pairs.push([s.key, result ?? sql`null::json`]); break;
      case 'payloadDeletedNodeId': pairs.push([s.key, row && rowText !== null ? nodeIdExpr(c, row) : sql`null::text`]); break;
      case 'payloadForward': {
        const fw = p.forward;
        if (!row || rowText === null) { pairs.push([s.key, sql`null::json`]); break; }
        const a = c.alias();
        const where = fw.keys.map((k, i) => sql`${a}.${sql.ident(fw.foreignKeys[i].name)} = ${row.column(k.name)}`);
        pairs.push([s.key, sql`(select ${rowObject(c, aliasRef(a, fw.foreign), getNamedType(s.field!.type) as GraphQLObjectType, subSelections(s))} from ${tableRef(fw.foreign)} as ${a} where ${sql.join(where, ' and ')})`]);
        break;
      }
      case 'payloadEdge': {
        if (!row || rowText === null) { pairs.push([s.key, sql`null::json`]); break; }
        pairs.push([s.key, edgeObject(c, row, s)]);
        break;
      }
      default: throw new Error(`Cannot query field "${s.name}" on type "${payloadType.name}".`);
    }
  }
  const from = rowText !== null && table
    ? sql` from (select (${rowText}::text::${typeRef(c.lookupType(typeId))}).*) as ${r}`
    : sql``;
  const st = compile(sql`select (${jsonObject(pairs)})::text as payload${from}`);
  const { rows } = await queryPrepared(client, st.text, st.values);
  return rows[0].payload;
}

function edgeObject(c: Compiler, row: ReturnType<typeof aliasRef>, s: CollectedField): SQL {
  const { orderBy } = argumentValues(c, s) as { orderBy?: OrderByValue[] };
  const ordering = resolveOrdering(row.cls, orderBy ?? [], false);
  // A positional order has no position for a single changed row: no cursor, as in v4.
  const cursor = ordering.mode === 'keyed'
    ? keyedCursorExpr(ordering.prefix, ordering.specs.map((sp) => specExpr(row.whole, sp)))
    : sql`null::text`;
  const edgeType = getNamedType(s.field!.type) as GraphQLObjectType;
  const pairs: Array<[string, SQL]> = [];
  for (const e of collectFields(c, edgeType, subSelections(s))) {
    if (e.name === '__typename') pairs.push([e.key, sql.literal(edgeType.name)]);
    else if (e.name === 'cursor') pairs.push([e.key, cursor]);
    else if (e.name === 'node') pairs.push([e.key, rowObject(c, row, getNamedType(e.field!.type) as GraphQLObjectType, subSelections(e))]);
  }
  return jsonObject(pairs);
}

function procMutation(
  c: Compiler, model: Model, f: CollectedField, m: MutationPlan & { kind: 'proc' },
  input: Record<string, any>, payloadType: GraphQLObjectType, clientMutationId: unknown,
): CompiledMutation {
  const planLike = { kind: 'proc' as const, proc: m.proc, args: m.args, returnType: m.returnType, returnsSet: m.returnsSet, computed: false, table: null, record: m.record, list: false };
  const call = sql`${sql.ident(m.proc.namespaceName, m.proc.name)}(${procArgsSql(c, planLike, input)})`;
  const ret = m.returnType;
  const cls = ret.classId ? c.classById(ret.classId) : null;
  const resultField = collectFields(c, payloadType, subSelections(f)).find((s) => fieldPlan(s)?.kind === 'payloadResult');
  return {
    async run(client, signJwt) {
      if (ret.id === '2278') {
        const st = compile(sql`select ${call}`);
        await client.query(st.text, st.values);
        return payload(c, model, ret.id, null, null, payloadType, f, clientMutationId, client);
      }
      const isJwt = !!(resultField && getNamedType(resultField.field!.type).name === 'JwtToken');
      if (isJwt) {
        const st = compile(sql`select case when num_nonnulls(__v) = 0 then null else to_json(__v)::text end as claims from (select ${call} as __v) as __s`);
        const { rows } = await queryPrepared(client, st.text, st.values);
        const claims = rows[0].claims ? JSON.parse(rows[0].claims) : null;
        if (claims && !signJwt) throw new Error('This server has no JWT secret, so it cannot sign the token this function returns.');
        const token = claims ? signJwt!(claims) : null;
        return payload(c, model, ret.id, null, null, payloadType, f, clientMutationId, client, sql`${token}::text`);
      }
      if (cls && cls.classKind !== 'c' && !m.returnsSet) {
        const st = compile(sql`select case when num_nonnulls(__v) = 0 then null else __v::text end as row from (select ${call} as __v) as __s`);
        const { rows } = await queryPrepared(client, st.text, st.values);
        return payload(c, model, ret.id, cls, rows[0].row, payloadType, f, clientMutationId, client);
      }
      const rowsOf = m.record ?? (m.returnsSet ? cls : null);
      if (rowsOf) {
        // OUT parameters and sets of rows: the function in FROM names the columns.
        const item = resultField ? (getNamedType(resultField.field!.type) as GraphQLObjectType) : null;
        const a = sql.raw('__o');
        const obj = item ? rowObject(c, aliasRef(a, rowsOf), item, subSelections(resultField!)) : sql`null`;
        const value = m.returnsSet
          ? sql`(select coalesce(json_agg(${obj} order by ${a}.ordinality), '[]'::json) from ${call} with ordinality as ${a})`
          : sql`(select ${obj} from ${call} as ${a} where not (${a} is null))`;
        const st = compile(sql`select (${value})::text as value`);
        const { rows } = await queryPrepared(client, st.text, st.values);
        return payload(c, model, ret.id, null, null, payloadType, f, clientMutationId, client, rows[0].value === null ? sql`null::json` : sql`${rows[0].value}::json`);
      }
      // Scalars, composites and sets: compute the value once, then select it in the payload.
      const v = sql.raw('__v');
      const value = m.returnsSet
        ? sql`(select coalesce(json_agg(${resultField ? valueExpr(c, sql`${v}.__x`, ret, { ...resultField, field: { ...resultField.field!, type: getNamedType(resultField.field!.type) as any } }) : sql`null`} order by ${v}.__o), '[]'::json) from ${call} with ordinality as ${v}(__x, __o))`
        : resultField ? valueExpr(c, call, ret, resultField) : sql`null`;
      const st = compile(sql`select (${value})::text as value`);
      const { rows } = await queryPrepared(client, st.text, st.values);
      return payload(c, model, ret.id, null, null, payloadType, f, clientMutationId, client, rows[0].value === null ? sql`null::json` : sql`${rows[0].value}::json`);
    },
  };
}

export { outputExpr };
