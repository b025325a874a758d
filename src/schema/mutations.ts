// Mutations as v4 shapes them: `createX(input: {clientMutationId, x})`, `updateX`/`updateXById`
// (`xPatch`), `deleteX`/`deleteXById`, and volatile functions (`registerPerson(input: {…})`),
// each answering with a payload holding the row, `query`, related rows and an edge.
import {
  GraphQLID, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString, getNamedType,
  type GraphQLFieldConfig, type GraphQLFieldConfigMap, type GraphQLInputFieldConfigMap, type GraphQLOutputType,
} from 'graphql';
import type { PgAttribute, PgClass, PgProc } from '../introspection/model';
import { OID } from '../introspection/oids';
import { attributeByNum } from '../introspection/model';
import { cached, cachedOnly, classOfType, setCached, collectionShapes, deprecation, inputType, omitted, setofRowItem, type BuildContext } from './context';
import { orderByType, tableConnectionType } from './connections';
import type { FieldPlan, MutationPlan } from './plans';
import { forwardRelations } from './relations';
import { argInputType, untypedArgument, procArgs, procItemType, procReturn, computedColumnTable } from './functions';
import { objectTypeAgain } from './assemble';
import { hasNodeId, isExposedTable, isTable, patchType, plan, tableDeprecation } from './tables';

const CLIENT_MUTATION_ID_IN = 'Any string the client likes; it is returned unchanged in the payload, to match answers to requests.';
const CLIENT_MUTATION_ID_OUT = 'The `clientMutationId` given in the input, returned unchanged.';
const INPUT_ARG = 'All the input for this mutation, in one object.';

type RowField = { name: string; type: GraphQLOutputType; description: string; plan: FieldPlan; deprecationReason?: string };

/** A payload's fields as a build made them, for the next build (see reuse.ts). */
export interface PayloadFields {
  type: GraphQLObjectType;
  fields: GraphQLFieldConfigMap<unknown, unknown>;
}

/**
 * `reuseKey` (`<table id>/<create|update|delete>`): the field configs a previous build made
 * for this payload, when reuse.ts carried them over, are taken with only `query` (a new type
 * each build) replaced; they point at nothing else that changes while their table's group
 * does not.
 */
function payloadType(
  ctx: BuildContext, name: string, description: string,
  rowField: RowField | null, table: PgClass | null, extra: GraphQLFieldConfigMap<unknown, unknown> = {}, reuseKey?: string,
): GraphQLObjectType {
  const before = reuseKey ? cachedOnly<PayloadFields>(ctx, 'payloadFields', reuseKey) : undefined;
  if (before) return payloadAgain(ctx, before, name, description, reuseKey!);
  const type: GraphQLObjectType = new GraphQLObjectType({
    name, description,
    fields: () => {
      const fields = payloadFields(ctx, rowField, table, extra);
      if (reuseKey) setCached(ctx, 'payloadFields', reuseKey, { type, fields } satisfies PayloadFields);
      return fields;
    },
    extensions: { forumDev: { kind: 'payload' } },
  });
  return type;
}

/**
 * The previous payload's fields but `query`, whose new type is again an object type: what
 * graphql-js validates of a payload (names, output types, arguments) holds as it did, so the
 * type counts as reused. Its configs are the previous payload's with a new `query` config, so
 * its made fields are the previous ones again, `query`'s with its new type (assemble.ts):
 * making the fields of hundreds of payloads from their configs again was most of their
 * rebuilding. The previous build's memo is left as it was.
 */
function payloadAgain(ctx: BuildContext, before: PayloadFields, name: string, description: string, key: string): GraphQLObjectType {
  const fields = { ...before.fields, query: { ...before.fields.query, type: queryTypeRef(ctx) } };
  const type = objectTypeAgain({ name, description, fields, extensions: { forumDev: { kind: 'payload' } } },
    { configs: before.fields, fields: before.type.getFields() }, () => undefined);
  ctx.reused?.add(type);
  setCached(ctx, 'payloadFields', key, { type, fields } satisfies PayloadFields);
  return type;
}

function payloadFields(
  ctx: BuildContext,
  rowField: RowField | null, table: PgClass | null, extra: GraphQLFieldConfigMap<unknown, unknown>,
): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {
    clientMutationId: { type: GraphQLString, description: CLIENT_MUTATION_ID_OUT, extensions: plan({ kind: 'payloadClientMutationId' }) },
  };
  if (rowField) {
    fields[rowField.name] = {
      type: rowField.type, description: rowField.description, deprecationReason: rowField.deprecationReason,
      extensions: plan(rowField.plan),
    };
  }
  Object.assign(fields, extra);
  fields.query = {
    type: queryTypeRef(ctx),
    description: 'The root query type, so the client can read anything it needs after this mutation.',
    extensions: plan({ kind: 'payloadQuery' }),
  };
  const exposed = !!table && isExposedTable(ctx, table);
  // a function's composite result relates through its `@foreignKey`s too (no edge: no key)
  if (table && (exposed || !isTable(table))) {
    for (const r of forwardRelations(ctx, table)) {
      fields[ctx.inflect.singleRelationByKeys(r.keys, r.foreign, r.constraint)] = {
        type: ctx.rowType(r.foreign),
        description: `The \`${ctx.inflect.tableType(r.foreign)}\` the changed \`${ctx.inflect.tableType(table)}\` refers to.`,
        deprecationReason: deprecation(r.constraint.tags),
        extensions: plan({ kind: 'payloadForward', forward: { kind: 'forward', table, foreign: r.foreign, keys: r.keys, foreignKeys: r.foreignKeys } }),
      };
    }
    if (exposed && collectionShapes(ctx, table.tags).connection && !(omitted(table.tags, 'all') && omitted(table.tags, 'many'))) {
      const ob = orderByType(ctx, table);
      const edgeType = tableConnectionType(ctx, table).getFields().edges.type as GraphQLNonNull<GraphQLList<GraphQLNonNull<GraphQLObjectType>>>;
      fields[ctx.inflect.edgeField(table)] = {
        type: edgeType.ofType.ofType.ofType,
        description: `The changed \`${ctx.inflect.tableType(table)}\` as an edge, for clients that insert it into a connection.`,
        deprecationReason: tableDeprecation(table),
        // without `orderBy` (`@omit order`) the cursor is the primary key's
        args: omitted(table.tags, 'order') ? {} : {
          orderBy: {
            type: new GraphQLList(new GraphQLNonNull(ob)),
            description: 'The order of the connection the edge is meant for (it decides the cursor).',
            defaultValue: [ob.getValue(table.primaryKey ? 'PRIMARY_KEY_ASC' : 'NATURAL')!.value],
          },
        },
        extensions: plan({ kind: 'payloadEdge', table }),
      };
    }
  }
  return fields;
}

/** Payloads point back at Query; build.ts registers it before any payload's fields are read. */
function queryTypeRef(ctx: BuildContext): GraphQLObjectType {
  return cachedOnly<GraphQLObjectType>(ctx, 'Query')!;
}

function inputObject(name: string, description: string, fields: () => GraphQLInputFieldConfigMap) {
  return new GraphQLInputObjectType({
    name, description,
    fields: () => ({
      clientMutationId: { type: GraphQLString, description: CLIENT_MUTATION_ID_IN },
      ...fields(),
    }),
  });
}

function mutationField(type: GraphQLObjectType | GraphQLNonNull<GraphQLObjectType>, input: GraphQLInputObjectType, description: string, m: MutationPlan) {
  return {
    type, description, deprecationReason: m.kind === 'proc' ? deprecation(m.proc.tags) : tableDeprecation(m.table),
    args: { input: { type: new GraphQLNonNull(input), description: INPUT_ARG } },
    extensions: plan({ kind: 'mutation', mutation: m }),
  };
}

function rowPayloadField(ctx: BuildContext, table: PgClass, verb: string) {
  const typeName = ctx.inflect.tableType(table);
  return {
    name: ctx.inflect.tableFieldName(table), type: ctx.rowType(table) as GraphQLOutputType,
    description: `The \`${typeName}\` this mutation ${verb}.`, plan: { kind: 'payloadRow' } as FieldPlan,
  };
}

function keyInputFields(ctx: BuildContext, keys: PgAttribute[]): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const k of keys) {
    const t = inputType(ctx, ctx.model.typeById.get(k.typeId)!)!;
    fields[ctx.inflect.column(k)] = { type: new GraphQLNonNull(t), description: k.description ?? undefined };
  }
  return fields;
}

/** The keys that can address an update or delete (`@omit update`/`delete` on a key removes it). */
function uniqueKeys(table: PgClass, kind: 'update' | 'delete'): PgAttribute[][] {
  return table.constraints
    .filter((c) => (c.type === 'p' || c.type === 'u') && !omitted(c.tags, kind))
    .map((c) => c.keyAttributeNums.map((n) => attributeByNum(table, n)))
    .filter((keys) => keys.every((k) => !omitted(k.tags, 'read')));
}

/** One table's mutation fields by bucket, and the payload types they answer with. */
export interface TableMutations {
  creates: Array<[string, GraphQLFieldConfig<unknown, unknown>]>;
  updates: Array<[string, GraphQLFieldConfig<unknown, unknown>]>;
  deletes: Array<[string, GraphQLFieldConfig<unknown, unknown>]>;
  payloads: Partial<Record<'create' | 'update' | 'delete', GraphQLObjectType>>;
}

export function tableMutationFields(ctx: BuildContext): GraphQLFieldConfigMap<unknown, unknown> {
  const creates: GraphQLFieldConfigMap<unknown, unknown> = {};
  const updates: GraphQLFieldConfigMap<unknown, unknown> = {};
  const deletes: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const table of ctx.model.classes) {
    if (!isExposedTable(ctx, table) || omitted(table.tags, 'mutation')) continue;
    const before = cachedOnly<TableMutations>(ctx, 'tableMutations', table.id);
    const made = (before && againWithNewPayloads(ctx, table, before)) ?? tableMutations(ctx, table);
    setCached(ctx, 'tableMutations', table.id, made);
    for (const [name, field] of made.creates) creates[name] = field;
    for (const [name, field] of made.updates) updates[name] = field;
    for (const [name, field] of made.deletes) deletes[name] = field;
  }
  // Into `creates` rather than a spread copy: about a thousand fields on a large schema.
  return Object.assign(creates, updates, deletes);
}

/**
 * A previous build's mutation fields of an unchanged table (reuse.ts carried them over) with new
 * payload types, which point at the new Query; undefined if a payload's fields were not carried.
 */
function againWithNewPayloads(ctx: BuildContext, table: PgClass, before: TableMutations): TableMutations | undefined {
  const payloads: TableMutations['payloads'] = {};
  const fresh = new Map<unknown, GraphQLObjectType>();
  for (const kind of ['create', 'update', 'delete'] as const) {
    const old = before.payloads[kind];
    if (!old) continue;
    const key = `${table.id}/${kind}`;
    if (!cachedOnly(ctx, 'payloadFields', key)) return undefined;
    const type = payloadType(ctx, old.name, old.description as string, null, table, {}, key);
    if (kind !== 'create') setCached(ctx, `${kind}Payload`, table.id, type);
    fresh.set(old, (payloads[kind] = type));
  }
  const again = (list: TableMutations['creates']) => list.map(([name, field]): [string, GraphQLFieldConfig<unknown, unknown>] => [name, { ...field, type: fresh.get(field.type)! }]);
  return { creates: again(before.creates), updates: again(before.updates), deletes: again(before.deletes), payloads };
}

function tableMutations(ctx: BuildContext, table: PgClass): TableMutations {
  const out: TableMutations = { creates: [], updates: [], deletes: [], payloads: {} };
  const typeName = ctx.inflect.tableType(table);
  const fieldName = ctx.inflect.tableFieldName(table);
  if (table.isInsertable && !omitted(table.tags, 'create')) {
    // without a column to give, v4 still makes the mutation, with only `clientMutationId`
    const rowInput = ctx.rowInputType(table);
    const payload = payloadType(ctx, ctx.inflect.createPayloadType(table), `What \`${ctx.inflect.createField(table)}\` answers with.`,
      { ...rowPayloadField(ctx, table, 'created'), deprecationReason: tableDeprecation(table) }, table, {}, `${table.id}/create`);
    const input = cached(ctx, 'createInput', table.id, () => inputObject(ctx.inflect.createInputType(table), `The input of \`${ctx.inflect.createField(table)}\`.`, () => (rowInput ? {
      [fieldName]: { type: new GraphQLNonNull(rowInput), description: `The \`${typeName}\` to create.` },
    } : {})));
    out.creates.push([ctx.inflect.createField(table), mutationField(payload, input, `Creates one \`${typeName}\`.`, { kind: 'create', table, inputField: fieldName })]);
    out.payloads.create = payload;
  }
  for (const kind of ['update', 'delete'] as const) {
    const allowed = kind === 'update' ? table.isUpdatable : table.isDeletable;
    if (!allowed || omitted(table.tags, kind)) continue;
    const patchInput = kind === 'update' ? patchType(ctx, table) : null;
    if (kind === 'update' && !patchInput) continue;
    const target = kind === 'update' ? out.updates : out.deletes;
    const payload = cached(ctx, `${kind}Payload`, table.id, () => payloadType(
      ctx, kind === 'update' ? ctx.inflect.updatePayloadType(table) : ctx.inflect.deletePayloadType(table),
      `What the ${kind} mutations of \`${typeName}\` answer with.`,
      rowPayloadField(ctx, table, kind === 'update' ? 'updated' : 'deleted'), table,
      kind === 'delete' ? {
        [ctx.inflect.deletedNodeId(table)]: { type: GraphQLID, description: `The \`nodeId\` of the deleted \`${typeName}\`.`, extensions: plan({ kind: 'payloadDeletedNodeId', table }) },
      } : {},
      `${table.id}/${kind}`,
    ));
    out.payloads[kind] = payload;
    const patchField = ctx.inflect.patchField(fieldName);
    const patch = kind === 'update'
      ? { [patchField]: { type: new GraphQLNonNull(patchInput!), description: `The changes to make to the \`${typeName}\`.` } }
      : {};
    const verb = kind === 'update' ? 'Updates' : 'Deletes';
    if (hasNodeId(table)) {
      const name = kind === 'update' ? ctx.inflect.updateNode(table) : ctx.inflect.deleteNode(table);
      const input = cached(ctx, `${kind}Input`, table.id, () => inputObject(kind === 'update' ? ctx.inflect.updateNodeInputType(table) : ctx.inflect.deleteNodeInputType(table), `The input of \`${name}\`.`, () => ({
        [ctx.plan.nodeIdField]: { type: new GraphQLNonNull(GraphQLID), description: `The \`nodeId\` of the \`${typeName}\` to ${kind}.` },
        ...patch,
      })));
      target.push([name, mutationField(payload, input, `${verb} one \`${typeName}\`, found by its \`nodeId\`.`, { kind, table, by: 'nodeId', patchField })]);
    }
    for (const [i, keys] of uniqueKeys(table, kind).entries()) {
      const con = table.constraints.find((c) => c.keyAttributeNums.join() === keys.map((k) => k.num).join() && (c.type === 'p' || c.type === 'u'))!;
      const name = kind === 'update' ? ctx.inflect.updateByKeys(keys, table, con) : ctx.inflect.deleteByKeys(keys, table, con);
      // per table and key (`<table id>/<n>`), so that reuse.ts can tell whose it is
      const input = cached(ctx, `${kind}Input`, `${table.id}/${i}`, () => inputObject(kind === 'update' ? ctx.inflect.updateByKeysInputType(keys, table, con) : ctx.inflect.deleteByKeysInputType(keys, table, con), `The input of \`${name}\`.`, () => ({
        ...patch, ...keyInputFields(ctx, keys),
      })));
      target.push([name, mutationField(payload, input, `${verb} one \`${typeName}\`, found by a unique key.`, { kind, table, by: keys, patchField })]);
    }
  }
  return out;
}

export function procMutationFields(ctx: BuildContext): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const proc of ctx.model.procs) {
    if (proc.isStable || omitted(proc.tags, 'execute') || computedColumnTable(ctx, proc)) continue;
    const field = procMutationField(ctx, proc);
    if (field) fields[ctx.inflect.functionMutationName(proc)] = field;
  }
  return fields;
}

function procMutationField(ctx: BuildContext, proc: PgProc) {
  const args = procArgs(ctx, proc, 0);
  const inputFields: GraphQLInputFieldConfigMap = {};
  for (const a of args) {
    const t = argInputType(ctx, a);
    if (!t) return untypedArgument(ctx, proc, a);
    inputFields[a.name] = { type: a.required ? new GraphQLNonNull(t) : t };
  }
  const ret = procReturn(ctx, proc);
  const isVoid = ret.type.id === OID.void;
  if (ret.type.type === 'p' && !isVoid && ret.type.id !== OID.record) return null;
  const fieldName = ctx.inflect.functionMutationName(proc);
  let rowField = null;
  if (!isVoid) {
    const item = procItemType(ctx, proc, ret);
    const outNames = proc.argNames.filter((_, i) => ['o', 'b', 't'].includes(proc.argModes[i] ?? ''));
    // named after the element type, plural for sets and arrays alike (`strings`, `compoundTypes`)
    const name = ctx.inflect.functionMutationResultFieldName(proc, getNamedType(item).name,
      ret.returnsSet || ret.type.isPgArray, ret.record ? [] : outNames);
    rowField = {
      name, type: (ret.returnsSet ? new GraphQLList(classOfType(ctx, ret.type) ? setofRowItem(ctx, item) : item) : item) as GraphQLOutputType,
      description: undefined as unknown as string,
      plan: (ret.table && !ret.returnsSet ? { kind: 'payloadRow' } : { kind: 'payloadResult', returnType: ret.type, returnsSet: ret.returnsSet }) as FieldPlan,
    };
  }
  const payload = payloadType(ctx, ctx.inflect.functionPayloadType(proc), `What \`${fieldName}\` answers with.`,
    rowField,
    ret.returnsSet || ret.type.isPgArray ? null : ret.table ?? classOfType(ctx, ret.type));
  const input = inputObject(ctx.inflect.functionInputType(proc), `The input of \`${fieldName}\`.`, () => inputFields);
  // `@notNull` on the function makes its payload non-null, as in v4
  return mutationField(proc.tags.notNull !== undefined ? new GraphQLNonNull(payload) : payload, input,
    proc.description ?? `Runs the database function \`${proc.namespaceName}.${proc.name}\`.`,
    { kind: 'proc', proc, args, returnType: ret.type, returnsSet: ret.returnsSet, record: ret.record });
}

export { tableConnectionType };
