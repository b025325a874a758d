// Database functions as fields: computed columns (`Person.fullName`), custom queries
// (`Query.searchPosts`, `Query.currentPerson`) and the argument lists both share. Which function
// becomes what follows the tutorial's rules (and v4's).
import {
  GraphQLList, GraphQLNonNull, type GraphQLFieldConfig, type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap, type GraphQLOutputType,
} from 'graphql';
import type { PgClass, PgProc, PgType } from '../introspection/model';
import { classOfType, getType, inputType, omitted, outputType, type BuildContext } from './context';
import { connectionArgs, connectionType, tableConnectionType } from './connections';
import { inflect } from './inflection';
import type { ProcArg } from './plans';
import { isExposedTable, isTable, plan } from './tables';

const isInputMode = (mode: string | undefined) => mode === undefined || mode === 'i' || mode === 'b';

/** Input arguments with their GraphQL names; `skip` drops the leading row argument. */
export function procArgs(ctx: BuildContext, proc: PgProc, skip: number): ProcArg[] {
  const inputs: Array<{ name: string; type: PgType }> = [];
  proc.argTypeIds.forEach((typeId, i) => {
    if (!isInputMode(proc.argModes[i])) return;
    inputs.push({ name: proc.argNames[i] ?? '', type: getType(ctx, typeId) });
  });
  const firstDefaulted = proc.inputArgsCount - proc.argDefaultsNum;
  return inputs.slice(skip).map((a, j) => ({
    name: inflect.argument(a.name, j + skip + 1),
    type: a.type,
    required: proc.isStrict && j + skip < firstDefaulted,
  }));
}

export function graphqlArgs(ctx: BuildContext, args: ProcArg[]): GraphQLFieldConfigArgumentMap | null {
  const out: GraphQLFieldConfigArgumentMap = {};
  for (const a of args) {
    const t = inputType(ctx, a.type);
    if (!t) return null;
    out[a.name] = { type: a.required ? new GraphQLNonNull(t) : t };
  }
  return out;
}

export function computedColumnTable(ctx: BuildContext, proc: PgProc): PgClass | null {
  if (!proc.isStable || proc.argTypeIds.length === 0 || !isInputMode(proc.argModes[0])) return null;
  const firstType = ctx.model.typeById.get(proc.argTypeIds[0]);
  const cls = firstType ? classOfType(ctx, firstType) : null;
  if (!cls || cls.namespaceId !== proc.namespaceId || !proc.name.startsWith(`${cls.name}_`)) return null;
  return cls;
}

export interface ProcReturn { type: PgType; returnsSet: boolean; table: PgClass | null }

export function procReturn(ctx: BuildContext, proc: PgProc): ProcReturn {
  const type = getType(ctx, proc.returnTypeId);
  const cls = classOfType(ctx, type);
  return { type, returnsSet: proc.returnsSet, table: cls && isTable(cls) ? cls : null };
}

/** The output field for a function, shared by computed columns and root queries. */
export function procField(
  ctx: BuildContext, proc: PgProc, computed: PgClass | null,
): GraphQLFieldConfig<unknown, unknown> | null {
  const args = procArgs(ctx, proc, computed ? 1 : 0);
  const gArgs = graphqlArgs(ctx, args);
  if (!gArgs) return null;
  const ret = procReturn(ctx, proc);
  if (ret.type.type === 'p' && ret.type.id !== '2249') return null; // void, trigger, any…
  const base = {
    kind: 'proc' as const, proc, args, returnType: ret.type, returnsSet: ret.returnsSet,
    computed: !!computed, table: ret.table, list: false,
  };
  const description = proc.description ?? undefined;
  const deprecationReason = typeof proc.tags.deprecated === 'string' ? proc.tags.deprecated : undefined;
  if (ret.returnsSet) {
    const rowCls = classOfType(ctx, ret.type);
    let conn;
    if (ret.table && isExposedTable(ctx, ret.table)) {
      conn = tableConnectionType(ctx, ret.table);
    } else {
      const nodeType = outputType(ctx, ret.type);
      const nodeTypeName = (nodeType as { name?: string }).name ?? 'Value';
      conn = rowCls
        ? connectionType(ctx, {
          connection: inflect.connection(nodeTypeName), edge: inflect.edge(nodeTypeName), nodeTypeName,
        }, nodeType, ret.type, null)
        : connectionType(ctx, {
          connection: inflect.scalarFunctionConnection(proc), edge: inflect.scalarFunctionEdge(proc), nodeTypeName,
        }, nodeType, ret.type, null);
    }
    const sortable = proc.tags.sortable === true && !!ret.table;
    const filterable = proc.tags.filterable === true && !!ret.table;
    return {
      type: computed ? new GraphQLNonNull(conn) : conn,
      description, deprecationReason,
      args: { ...gArgs, ...connectionArgs(ctx, ret.table, { orderBy: sortable, condition: filterable }) },
      extensions: plan(base),
    };
  }
  const t: GraphQLOutputType = outputType(ctx, ret.type);
  return { type: t, description, deprecationReason, args: gArgs, extensions: plan(base) };
}

export function computedColumnFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const proc of ctx.model.procs) {
    if (omitted(proc.tags, 'execute') || computedColumnTable(ctx, proc) !== cls) continue;
    if (ctx.options.ignoreRbac === false && !proc.aclExecutable) continue;
    const field = procField(ctx, proc, cls);
    if (!field) continue;
    const pseudo = proc.name.slice(cls.name.length + 1);
    fields[inflect.computedColumn(pseudo, proc)] = field;
  }
  return fields;
}

export function queryProcFields(ctx: BuildContext): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const proc of ctx.model.procs) {
    if (!proc.isStable || omitted(proc.tags, 'execute') || computedColumnTable(ctx, proc)) continue;
    if (ctx.options.ignoreRbac === false && !proc.aclExecutable) continue;
    const field = procField(ctx, proc, null);
    if (field) fields[inflect.functionQueryName(proc)] = field;
  }
  return fields;
}

export { GraphQLList };
