// Database functions as fields: computed columns (`Person.fullName`), custom queries
// (`Query.searchPosts`, `Query.currentPerson`) and the argument lists both share. Which function
// becomes what follows the tutorial's rules (and v4's).
import {
  GraphQLList, GraphQLNonNull, GraphQLObjectType, type GraphQLFieldConfig, type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap, type GraphQLInputType, type GraphQLOutputType,
} from 'graphql';
import type { PgAttribute, PgClass, PgProc, PgType } from '../introspection/model';
import { OID } from '../introspection/oids';
import {
  cached, classOfType, collectionShapes, deprecation, getType, inputType, nonNull, omitted, outputType, setofRowItem, type BuildContext,
} from './context';
import { connectionArgs, connectionType, listArgs, tableConnectionType } from './connections';
import type { ProcArg } from './plans';
import { baseInputType, isExposedTable, isTable, patchType, plan } from './tables';

const isInputMode = (mode: string | undefined) => mode === undefined || mode === 'i' || mode === 'b';

/** Input arguments with their GraphQL names; `skip` drops the leading row argument. */
export function procArgs(ctx: BuildContext, proc: PgProc, skip: number): ProcArg[] {
  const inputs: Array<{ name: string; type: PgType }> = [];
  proc.argTypeIds.forEach((typeId, i) => {
    if (!isInputMode(proc.argModes[i])) return;
    inputs.push({ name: proc.argNames[i] ?? '', type: getType(ctx, typeId) });
  });
  const firstDefaulted = proc.inputArgsCount - proc.argDefaultsNum;
  return inputs.slice(skip).map((a, j) => {
    const tagged = proc.tags[`arg${j}variant`];
    const variant = tagged === 'base' || tagged === 'patch' ? tagged : /(_p|P)atch$/.test(a.name) ? 'patch' : undefined;
    return {
      name: ctx.inflect.argument(a.name, j),
      type: a.type,
      // v4's `pgStrictFunctions` treats every function as STRICT here
      required: (proc.isStrict || !!ctx.options.pgStrictFunctions) && j + skip < firstDefaulted,
      ...(variant ? { variant } : {}),
    };
  });
}

/** The input type of a function argument; a table's row takes the input its variant names. */
export function argInputType(ctx: BuildContext, arg: ProcArg): GraphQLInputType | null {
  const cls = arg.variant && !arg.type.isPgArray ? classOfType(ctx, arg.type) : null;
  if (cls && isTable(cls)) return arg.variant === 'base' ? baseInputType(ctx, cls) : patchType(ctx, cls);
  return inputType(ctx, arg.type);
}

export function graphqlArgs(ctx: BuildContext, proc: PgProc, args: ProcArg[]): GraphQLFieldConfigArgumentMap | null {
  const out: GraphQLFieldConfigArgumentMap = {};
  for (const a of args) {
    const t = argInputType(ctx, a);
    if (!t) return untypedArgument(ctx, proc, a);
    out[a.name] = { type: a.required ? new GraphQLNonNull(t) : t };
  }
  return out;
}

/**
 * A function with an argument that has no GraphQL input type is left out, as v4 leaves it out; a
 * table's input has none when the role may insert no column of it (with --no-ignore-rbac).
 */
export function untypedArgument(ctx: BuildContext, proc: PgProc, arg: ProcArg): null {
  const cls = classOfType(ctx, arg.type);
  const hint = cls ? ` (no column of ${cls.namespaceName}.${cls.name} may be inserted by this role: grant INSERT on one, or give the argument v4's \`@arg<N>variant base\` smart comment)` : '';
  const warning = `function ${proc.namespaceName}.${proc.name} is left out: its argument \`${arg.name}\` has no GraphQL input type${hint}`;
  if (!ctx.plan.warnings.includes(warning)) ctx.plan.warnings.push(warning);
  return null;
}

export function computedColumnTable(ctx: BuildContext, proc: PgProc): PgClass | null {
  if (!proc.isStable || proc.argTypeIds.length === 0 || !isInputMode(proc.argModes[0])) return null;
  const firstType = ctx.model.typeById.get(proc.argTypeIds[0]);
  const cls = firstType ? classOfType(ctx, firstType) : null;
  if (!cls || cls.namespaceId !== proc.namespaceId || !proc.name.startsWith(`${cls.name}_`)) return null;
  return cls;
}

export interface ProcReturn {
  type: PgType;
  returnsSet: boolean;
  /** the table whose rows are returned */
  table: PgClass | null;
  /** OUT/TABLE parameters: a made-up composite describing the returned record */
  record: PgClass | null;
}

const isOutputMode = (mode: string | undefined) => mode === 'o' || mode === 'b' || mode === 't';

export function procReturn(ctx: BuildContext, proc: PgProc): ProcReturn {
  const type = getType(ctx, proc.returnTypeId);
  const cls = classOfType(ctx, type);
  const record = type.id === OID.record ? cached(ctx, 'record', proc.id, () => recordClass(ctx, proc)) : null;
  return { type, returnsSet: proc.returnsSet, table: cls && isTable(cls) ? cls : null, record };
}

/** The record a function with OUT/TABLE parameters returns, described as a composite class. */
function recordClass(ctx: BuildContext, proc: PgProc): PgClass {
  const attributes: PgAttribute[] = [];
  let outIndex = 0;
  proc.argTypeIds.forEach((typeId, i) => {
    if (!isOutputMode(proc.argModes[i])) return;
    const name = proc.argNames[i] || `column${outIndex + 1}`;
    attributes.push({
      classId: `record:${proc.id}`, num: outIndex + 1, name, description: null,
      tags: { name: ctx.inflect.functionOutputFieldName(proc.argNames[i] ?? '', outIndex + 1) },
      typeId, typeModifier: null, isNotNull: false, hasDefault: false, identity: '', generated: '',
      aclSelectable: true, aclInsertable: false, aclUpdatable: false,
    });
    outIndex++;
  });
  return {
    id: `record:${proc.id}`, name: proc.name, namespaceId: proc.namespaceId, namespaceName: proc.namespaceName,
    classKind: 'c', description: null, tags: {}, typeId: OID.record, isSelectable: false, isInsertable: false,
    isUpdatable: false, isDeletable: false, aclSelectable: true, aclInsertable: false, aclUpdatable: false,
    aclDeletable: false, attributes, constraints: [], primaryKey: null,
  };
}

/** The GraphQL object type of a function's OUT/TABLE record (`SplitNameRecord`). */
export function recordType(ctx: BuildContext, proc: PgProc, cls: PgClass): GraphQLObjectType {
  return cached(ctx, 'recordType', proc.id, () => new GraphQLObjectType({
    name: ctx.inflect.recordFunctionReturnType(proc),
    description: `The record \`${proc.namespaceName}.${proc.name}\` returns.`,
    fields: () => Object.fromEntries(cls.attributes.map((attr) => [attr.tags.name as string, {
      type: outputType(ctx, getType(ctx, attr.typeId)),
      extensions: plan({ kind: 'column', attr, type: getType(ctx, attr.typeId) }),
    }])),
    extensions: { forumDev: { kind: 'composite', table: cls } },
  }));
}

/** The GraphQL type of one returned item. */
export function procItemType(ctx: BuildContext, proc: PgProc, ret: ProcReturn): GraphQLOutputType {
  return ret.record ? recordType(ctx, proc, ret.record) : outputType(ctx, ret.type);
}

/** The output field for a function, shared by computed columns and root queries. */
export function procField(
  ctx: BuildContext, proc: PgProc, computed: PgClass | null,
): GraphQLFieldConfig<unknown, unknown> | null {
  const args = procArgs(ctx, proc, computed ? 1 : 0);
  const gArgs = graphqlArgs(ctx, proc, args);
  if (!gArgs) return null;
  const ret = procReturn(ctx, proc);
  if (ret.type.type === 'p' && ret.type.id !== OID.record) return null; // void, trigger, any…
  const base = {
    kind: 'proc' as const, proc, args, returnType: ret.type, returnsSet: ret.returnsSet,
    computed: !!computed, table: ret.table, record: ret.record, list: false,
  };
  const description = proc.description
    ?? (ret.returnsSet ? `Reads the rows this function returns, a page at a time.` : undefined);
  const deprecationReason = deprecation(proc.tags);
  if (ret.returnsSet) {
    const rowCls = classOfType(ctx, ret.type);
    let conn;
    if (ret.table && isExposedTable(ctx, ret.table)) {
      conn = tableConnectionType(ctx, ret.table);
    } else {
      const nodeType = procItemType(ctx, proc, ret);
      const nodeTypeName = (nodeType as { name?: string }).name ?? 'Value';
      // v4 gives only table connections a pageInfo.
      conn = rowCls
        ? connectionType(ctx, {
          connection: ctx.inflect.connection(nodeTypeName), edge: ctx.inflect.edge(nodeTypeName), nodeTypeName,
        }, nodeType, ret.type, rowCls)
        : ret.record
          ? connectionType(ctx, {
            connection: ctx.inflect.recordFunctionConnection(proc), edge: ctx.inflect.recordFunctionEdge(proc), nodeTypeName, pageInfo: false,
          }, nodeType, ret.type, ret.record)
          : connectionType(ctx, {
            connection: ctx.inflect.scalarFunctionConnection(proc), edge: ctx.inflect.scalarFunctionEdge(proc), nodeTypeName, pageInfo: false,
          }, nodeType, ret.type, null);
    }
    const sortable = proc.tags.sortable === true && !!ret.table;
    const filterable = proc.tags.filterable === true && !!ret.table;
    return {
      type: computed || proc.tags.notNull !== undefined ? new GraphQLNonNull(conn) : conn,
      description, deprecationReason,
      args: { ...gArgs, ...connectionArgs(ctx, ret.table, { orderBy: sortable, condition: filterable, orderByDefault: false, filter: { proc } }) },
      extensions: plan(base),
    };
  }
  const item: GraphQLOutputType = procItemType(ctx, proc, ret);
  const t = proc.tags.notNull !== undefined ? new GraphQLNonNull(item) : item;
  return { type: t, description, deprecationReason, args: gArgs, extensions: plan(base) };
}

/** The plain-list variant of a set-returning function (`@simpleCollections`): `[Item]`. */
export function procListField(ctx: BuildContext, proc: PgProc, computed: PgClass | null): GraphQLFieldConfig<unknown, unknown> | null {
  const connectionField = procField(ctx, proc, computed);
  if (!connectionField) return null;
  const ret = procReturn(ctx, proc);
  const args = procArgs(ctx, proc, computed ? 1 : 0);
  const item = ret.table && isExposedTable(ctx, ret.table) ? ctx.rowType(ret.table) : procItemType(ctx, proc, ret);
  const sortable = proc.tags.sortable === true && !!ret.table;
  const filterable = proc.tags.filterable === true && !!ret.table;
  return {
    type: nonNull(new GraphQLList(classOfType(ctx, ret.type) ? setofRowItem(ctx, item) : item), proc.tags.notNull !== undefined),
    description: connectionField.description, deprecationReason: connectionField.deprecationReason,
    args: { ...graphqlArgs(ctx, proc, args), ...listArgs(ctx, ret.table, { orderBy: sortable, condition: filterable, filter: { proc } }) },
    extensions: plan({
      kind: 'proc', proc, args, returnType: ret.type, returnsSet: true, computed: !!computed,
      table: ret.table, record: ret.record, list: true,
    }),
  };
}

function addProcFields(
  ctx: BuildContext, fields: GraphQLFieldConfigMap<unknown, unknown>, proc: PgProc, computed: PgClass | null,
  name: string, listName: string,
): void {
  const shapes = proc.returnsSet ? collectionShapes(ctx, proc.tags) : { connection: true, list: false };
  if (shapes.connection) {
    const field = procField(ctx, proc, computed);
    if (field) fields[name] = field;
  }
  if (shapes.list) {
    const field = procListField(ctx, proc, computed);
    if (field) fields[listName] = field;
  }
}

export function computedColumnFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const proc of ctx.model.procs) {
    if (omitted(proc.tags, 'execute') || computedColumnTable(ctx, proc) !== cls) continue;
    const pseudo = proc.name.slice(cls.name.length + 1);
    addProcFields(ctx, fields, proc, cls, ctx.inflect.computedColumn(pseudo, proc), ctx.inflect.computedColumnList(pseudo, proc));
  }
  return fields;
}

export function queryProcFields(ctx: BuildContext): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const proc of ctx.model.procs) {
    if (!proc.isStable || omitted(proc.tags, 'execute') || computedColumnTable(ctx, proc)) continue;
    // v4 leaves out query functions that take a table's row
    if (procArgs(ctx, proc, 0).some((a) => { const c = classOfType(ctx, a.type); return !!c && isTable(c); })) continue;
    addProcFields(ctx, fields, proc, null, ctx.inflect.functionQueryName(proc), ctx.inflect.functionQueryNameList(proc));
  }
  return fields;
}

