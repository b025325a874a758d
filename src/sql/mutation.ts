// One mutation root field as two statements, run by execute/: the write (returning the row as
// composite text, which keeps the row visible to the payload even when RLS would hide it from a
// fresh select) or the function call, then one select that builds the payload JSON from what
// the first one returned. A table's write whose payload reads only the changed row is also
// compiled as one statement (`single`), which a request of that one mutation sends alone.
import { GraphQLInputObjectType, GraphQLObjectType, getNamedType, type GraphQLInputType } from 'graphql';
import type { PgAttribute, PgClass } from '../introspection/model';
import { OID } from '../introspection/oids';
import type { InputFieldPlan, MutationPlan, OrderByValue } from '../schema/plans';
import { keyedCursorExpr, resolveOrdering, specExpr } from './ordering';
import { compile, sql, type CompiledSQL, type SQL } from './fragment';
import { decodeNodeId } from './node-id';
import {
  aliasRef, fieldPlan, inputValue, jsonObject, jwtClaimsExpr, nodeAliasOf, nodeIdExpr, procArgsSql, rowObject, unhandled,
  valueExpr, type Compiler, type RowRef,
} from './rows';
import { argumentValues, collectFields, subSelections, type CollectedField } from './selection';
import { inputExpr, plausibleValue, typeRef } from './values';

/** The first row the first statement answered (undefined when it answered none). */
export type FirstRow = Record<string, unknown> | undefined;

export interface CompiledMutation {
  /** The write or the function call. */
  first: CompiledSQL;
  /**
   * False for functions returning void: their one column is not text, so the statement goes
   * out unnamed (prepared statements here always return one text column).
   */
  prepared: boolean;
  /** The first row's `claims` column is a JWT's claims: sign them and pass the token on. */
  signs: boolean;
  /** The select that answers the payload (one `payload` text column) from the first row. */
  payload(first: FirstRow, token?: string | null): CompiledSQL;
  /**
   * The write and its payload as one statement, when the payload reads nothing but the changed
   * row (its columns, its node id): nothing else could see the write within the statement's
   * snapshot, so it needs no second statement. No row: `noRow` is the error.
   */
  single?: { sql: CompiledSQL; noRow: () => Error };
}

const tableRef = (t: PgClass) => sql.ident(t.namespaceName, t.name);

/** Column values from an input object (`PersonInput`/`PersonPatch`), keyed by GraphQL field. */
function columnValues(c: Compiler, inputTypeOf: GraphQLInputType, value: Record<string, unknown>): Array<[PgAttribute, SQL]> {
  const fields = (getNamedType(inputTypeOf) as GraphQLInputObjectType).getFields();
  const out: Array<[PgAttribute, SQL]> = [];
  for (const [name, v] of Object.entries(value)) {
    const meta = fields[name]?.extensions?.forumDev as InputFieldPlan | undefined;
    if (!meta || v === undefined) continue;
    out.push([meta.attr, inputValue(c, v, meta.type)]);
  }
  return out;
}

function keyWhere(c: Compiler, table: PgClass, plan: MutationPlan & { kind: 'update' | 'delete' }, input: Record<string, any>, f: CollectedField): SQL {
  let keys: PgAttribute[];
  let values: unknown[];
  if (plan.by === 'nodeId') {
    const decoded = decodeNodeId(input[c.plan.nodeIdField]);
    const alias = nodeAliasOf(c, table);
    keys = table.primaryKey!.keyAttributeNums.map((n) => table.attributes.find((a) => a.num === n)!);
    if (decoded.alias !== alias || decoded.keys.length !== keys.length
      || keys.some((k, i) => !plausibleValue(decoded.keys[i], c.lookupType(k.typeId)))) {
      throw new Error(`Mismatched type in nodeId: expected a \`${alias}\` id.`);
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

export function compileMutationField(c: Compiler, f: CollectedField): CompiledMutation {
  const p = fieldPlan(f);
  if (!p || p.kind !== 'mutation') throw new Error(`Cannot query field "${f.name}" on type "Mutation".`);
  const m = p.mutation;
  const input = argumentValues(c, f).input as Record<string, any>;
  const inputType = getNamedType(f.field!.args[0].type) as GraphQLInputObjectType;
  const payloadType = getNamedType(f.field!.type) as GraphQLObjectType;
  const clientMutationId = input.clientMutationId ?? null;

  if (m.kind === 'proc') return procMutation(c, f, m, input, payloadType, clientMutationId);

  const table = m.table;
  // the changed row as composite text for a second statement, or its columns for a CTE
  const write = writeStatement(c, m, input, inputType, f);
  const verb = m.kind === 'create' ? 'created' : m.kind === 'update' ? 'updated' : 'deleted';
  const noRow = () => {
    const v = m.kind === 'update' ? 'update' : 'delete';
    return new Error(`No values were ${verb} in collection '${nodeAliasOf(c, table)}' because no values you can ${v} were found matching these criteria.`);
  };
  // Each form is compiled when asked for: a request sends one or the other, never both.
  let first: CompiledSQL | undefined;
  let single: CompiledMutation['single'] | null | undefined;
  return {
    get first() {
      return (first ??= compile(write(sql`__w::text as row`)));
    },
    prepared: true, signs: false,
    payload(row) {
      if (!row) throw noRow();
      return payload(c, table.typeId, table, row.row as string, payloadType, f, clientMutationId);
    },
    get single() {
      single ??= readsOnlyTheRow(c, payloadType, f)
        ? { sql: compile(singlePayload(c, write(sql`__w.*`), table, payloadType, f, clientMutationId)), noRow }
        : null;
      return single ?? undefined;
    },
  };
}

/** The payload asks for nothing but the changed row's columns and node id (and echoes). */
function readsOnlyTheRow(c: Compiler, payloadType: GraphQLObjectType, f: CollectedField): boolean {
  return collectFields(c, payloadType, subSelections(f)).every((s) => {
    if (s.name === '__typename') return true;
    const kind = fieldPlan(s)?.kind;
    if (kind === 'payloadClientMutationId' || kind === 'payloadDeletedNodeId') return true;
    if (kind !== 'payloadRow') return false;
    const rowType = getNamedType(s.field!.type) as GraphQLObjectType;
    return collectFields(c, rowType, subSelections(s)).every((r) => r.name === '__typename' || ['column', 'nodeId'].includes(fieldPlan(r)?.kind ?? ''));
  });
}

/** `with __m as (<write> returning *) select <payload> from __m`: one statement, one row or none. */
function singlePayload(
  c: Compiler, write: SQL, table: PgClass, payloadType: GraphQLObjectType, f: CollectedField, clientMutationId: unknown,
): SQL {
  const r = sql.raw('__r');
  const row = aliasRef(r, table);
  const pairs: Array<[string, SQL]> = collectFields(c, payloadType, subSelections(f)).map((s) => [s.key,
    s.name === '__typename' ? sql.literal(payloadType.name) : payloadField(c, s, payloadType, row, clientMutationId, undefined)]);
  return sql`with __m as (${write}) select (${jsonObject(pairs)})::text as payload from __m as ${r}`;
}

/** The insert, update or delete (aliased `__w`), given what it returns; its values are made once. */
function writeStatement(
  c: Compiler, m: Exclude<MutationPlan, { kind: 'proc' }>, input: Record<string, any>,
  inputType: GraphQLInputObjectType, f: CollectedField,
): (returning: SQL) => SQL {
  const table = tableRef(m.table);
  const t = sql.raw('__w');
  switch (m.kind) {
    case 'create': {
      const cols = columnValues(c, inputType.getFields()[m.inputField].type, input[m.inputField] ?? {});
      if (!cols.length) return (returning) => sql`insert into ${table} as ${t} default values returning ${returning}`;
      const names = sql.join(cols.map(([a]) => sql.ident(a.name)), ', ');
      const values = sql.join(cols.map(([, v]) => v), ', ');
      return (returning) => sql`insert into ${table} as ${t} (${names}) values (${values}) returning ${returning}`;
    }
    case 'update': {
      const cols = columnValues(c, inputType.getFields()[m.patchField].type, input[m.patchField] ?? {});
      const where = keyWhere(c, m.table, m, input, f);
      if (!cols.length) return (returning) => sql`select ${returning} from ${table} as ${t} where ${where}`;
      const sets = sql.join(cols.map(([a, v]) => sql`${sql.ident(a.name)} = ${v}`), ', ');
      return (returning) => sql`update ${table} as ${t} set ${sets} where ${where} returning ${returning}`;
    }
    case 'delete': {
      const where = keyWhere(c, m.table, m, input, f);
      return (returning) => sql`delete from ${table} as ${t} where ${where} returning ${returning}`;
    }
  }
  return unhandled(m);
}

function payload(
  c: Compiler, typeId: string, table: PgClass | null, rowText: string | null,
  payloadType: GraphQLObjectType, f: CollectedField, clientMutationId: unknown, result?: SQL,
): CompiledSQL {
  const r = sql.raw('__r');
  const row = table ? aliasRef(r, table) : null;
  const changed = row && rowText !== null ? row : null;
  const pairs: Array<[string, SQL]> = collectFields(c, payloadType, subSelections(f)).map((s) => [s.key,
    s.name === '__typename' ? sql.literal(payloadType.name) : payloadField(c, s, payloadType, changed, clientMutationId, result)]);
  const from = rowText !== null && table
    ? sql` from (select (${rowText}::text::${typeRef(c.lookupType(typeId))}).*) as ${r}`
    : sql``;
  return compile(sql`select (${jsonObject(pairs)})::text as payload${from}`);
}

/** One payload field; `row` is the changed row (null when there is none). */
function payloadField(
  c: Compiler, s: CollectedField, payloadType: GraphQLObjectType, row: RowRef | null,
  clientMutationId: unknown, result: SQL | undefined,
): SQL {
  const p = fieldPlan(s);
  if (!p) throw new Error(`Cannot query field "${s.name}" on type "${payloadType.name}".`);
  const objectType = () => getNamedType(s.field!.type) as GraphQLObjectType;
  switch (p.kind) {
    case 'payloadClientMutationId': return sql`${clientMutationId}::text`;
    case 'payloadQuery': return c.rootObject(subSelections(s));
    case 'payloadRow': return row ? rowObject(c, row, objectType(), subSelections(s)) : sql`null::json`;
    case 'payloadResult': return result ?? sql`null::json`;
    // a table without a primary key has the field too, always null (as in v4)
    case 'payloadDeletedNodeId': return row && p.table.primaryKey?.keyAttributeNums.length ? nodeIdExpr(c, row) : sql`null::text`;
    case 'payloadForward': {
      if (!row) return sql`null::json`;
      const fw = p.forward;
      const a = c.alias();
      const where = fw.keys.map((k, i) => sql`${a}.${sql.ident(fw.foreignKeys[i].name)} = ${row.column(k.name)}`);
      const obj = rowObject(c, aliasRef(a, fw.foreign), objectType(), subSelections(s));
      return sql`(select ${obj} from ${tableRef(fw.foreign)} as ${a} where ${sql.join(where, ' and ')})`;
    }
    case 'payloadEdge': return row ? edgeObject(c, row, s) : sql`null::json`;
    case 'column': case 'nodeId': case 'queryRoot': case 'queryNodeId': case 'node': case 'rowByNodeId':
    case 'rowByKeys': case 'allRows': case 'forward': case 'backward': case 'proc': case 'mutation':
      throw new Error(`Cannot query field "${s.name}" on type "${payloadType.name}".`);
  }
  return unhandled(p);
}

function edgeObject(c: Compiler, row: RowRef, s: CollectedField): SQL {
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
  c: Compiler, f: CollectedField, m: MutationPlan & { kind: 'proc' },
  input: Record<string, any>, payloadType: GraphQLObjectType, clientMutationId: unknown,
): CompiledMutation {
  const planLike = {
    kind: 'proc' as const, proc: m.proc, args: m.args, returnType: m.returnType, returnsSet: m.returnsSet,
    computed: false, table: null, record: m.record, list: false,
  };
  const call = sql`${sql.ident(m.proc.namespaceName, m.proc.name)}(${procArgsSql(c, planLike, input)})`;
  const ret = m.returnType;
  const cls = ret.classId ? c.classById(ret.classId) : null;
  const resultField = collectFields(c, payloadType, subSelections(f)).find((s) => fieldPlan(s)?.kind === 'payloadResult');
  const done = (result?: SQL) => payload(c, ret.id, null, null, payloadType, f, clientMutationId, result);
  /** A first statement whose `value` column is the result's JSON. */
  const valued = (value: SQL): CompiledMutation => ({
    first: compile(sql`select (${value})::text as value`), prepared: true, signs: false,
    payload: (first) => done(first?.value == null ? sql`null::json` : sql`${first.value}::json`),
  });
  if (ret.id === OID.void) {
    return { first: compile(sql`select ${call}`), prepared: false, signs: false, payload: () => done() };
  }
  // the configured JWT type, whatever its name (a lookalike composite is a plain object)
  if (resultField && (getNamedType(resultField.field!.type).extensions as any)?.forumDev?.kind === 'jwt') {
    return {
      first: compile(sql`select case when __v is null then null else ${jwtClaimsExpr(c, sql`__v`, ret)}::text end as claims from (select ${call} as __v) as __s`),
      prepared: true, signs: true,
      payload: (_first, token) => done(sql`${token ?? null}::text`),
    };
  }
  if (cls && cls.classKind !== 'c' && !m.returnsSet) {
    return {
      first: compile(sql`select case when __v is null then null else __v::text end as row from (select ${call} as __v) as __s`),
      prepared: true, signs: false,
      payload: (first) => payload(c, ret.id, cls, (first?.row ?? null) as string | null, payloadType, f, clientMutationId),
    };
  }
  const rowsOf = m.record ?? (m.returnsSet ? cls : null);
  if (rowsOf) {
    // OUT parameters and sets of rows: the function in FROM names the columns.
    const item = resultField ? (getNamedType(resultField.field!.type) as GraphQLObjectType) : null;
    const a = sql.raw('__o');
    const obj = item ? rowObject(c, aliasRef(a, rowsOf), item, subSelections(resultField!)) : sql`null`;
    // a row of nulls in a set of rows is a null row, as v4 reads a mutation's result back
    // (not a record's: v4 reads those field by field)
    const columns = rowsOf.attributes.map((at) => sql`${a}.${sql.ident(at.name)}`);
    const element = m.record || !columns.length ? obj : sql`case when num_nonnulls(${sql.join(columns, ', ')}) = 0 then null else ${obj} end`;
    return valued(m.returnsSet
      ? sql`(select coalesce(json_agg(${element} order by ${a}.ordinality), '[]'::json) from ${call} with ordinality as ${a})`
      : sql`(select ${obj} from ${call} as ${a} where not (${a} is null))`);
  }
  // A composite with `@foreignKey`s whose relations the payload asks for: its row goes back as
  // well, for the relations to read, beside the result's JSON.
  if (cls && !m.returnsSet
    && collectFields(c, payloadType, subSelections(f)).some((s) => fieldPlan(s)?.kind === 'payloadForward')) {
    return {
      first: compile(sql`select (${resultField ? valueExpr(c, sql`__v`, ret, resultField, true) : sql`null`})::text as value, case when __v is null then null else __v::text end as row from (select ${call} as __v) as __s`),
      prepared: true, signs: false,
      payload: (first) => payload(c, ret.id, cls, (first?.row ?? null) as string | null, payloadType, f, clientMutationId,
        first?.value == null ? sql`null::json` : sql`${first.value}::json`),
    };
  }
  // Scalars, composites and sets: compute the value once, then select it in the payload.
  const v = sql.raw('__v');
  const setItem = () => (resultField
    ? valueExpr(c, sql`${v}.__x`, ret, { ...resultField, field: { ...resultField.field!, type: getNamedType(resultField.field!.type) as any } })
    : sql`null`);
  return valued(m.returnsSet
    ? sql`(select coalesce(json_agg(${setItem()} order by ${v}.__o), '[]'::json) from ${call} with ordinality as ${v}(__x, __o))`
    // to_json: a text or bigint result is a JSON string, not bare text; the function runs
    // whether or not its result is selected
    : sql`to_json(${resultField ? valueExpr(c, call, ret, resultField, true) : call})`);
}
