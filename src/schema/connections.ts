// Relay connections: `XConnection { nodes, edges { cursor node }, pageInfo, totalCount }`,
// their arguments (`first/last/offset/before/after/orderBy/condition`), `XOrderBy` enums and
// `XCondition` inputs, named and shaped as in v4.
import {
  GraphQLBoolean, GraphQLEnumType, GraphQLInputObjectType, GraphQLInt, GraphQLList,
  GraphQLNonNull, GraphQLObjectType, type GraphQLFieldConfigArgumentMap,
  type GraphQLInputFieldConfigMap, type GraphQLOutputType,
} from 'graphql';
import type { PgClass, PgProc, PgType } from '../introspection/model';
import { computedColumnTable } from './functions';
import { filterArg, type FilterSource } from './filter';
import { cached, getType, inputType, omitted, setofRowItem, unindexed, type BuildContext } from './context';
import type { OrderByValue } from './plans';

export function pageInfoType(ctx: BuildContext): GraphQLObjectType {
  return cached(ctx, 'PageInfo', '', () => new GraphQLObjectType({
    name: 'PageInfo',
    description: 'Where a page of a connection sits in the whole list, for paging on.',
    fields: {
      hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean), description: 'True when more items follow this page (paging forwards).' },
      hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean), description: 'True when more items precede this page (paging backwards).' },
      startCursor: { type: ctx.scalars.Cursor, description: 'The cursor of the first item on this page.' },
      endCursor: { type: ctx.scalars.Cursor, description: 'The cursor of the last item on this page.' },
    },
    extensions: { forumDev: { kind: 'pageInfo' } },
  }));
}

export interface ConnectionNames { connection: string; edge: string; nodeTypeName: string; pageInfo?: boolean }

export function connectionType(
  ctx: BuildContext, names: ConnectionNames, nodeType: GraphQLOutputType,
  nodePgType: PgType, table: PgClass | null,
): GraphQLObjectType {
  return cached(ctx, 'conn', names.connection, () => {
    // Rows (of tables, composite types and records) follow -N; scalar items stay nullable.
    const item = table ? setofRowItem(ctx, nodeType) : nodeType;
    const edge = new GraphQLObjectType({
      name: names.edge,
      description: `One \`${names.nodeTypeName}\` in a connection, with its cursor.`,
      fields: {
        cursor: { type: ctx.scalars.Cursor, description: 'The position of this item, for `before` and `after`.' },
        node: { type: item, description: `The \`${names.nodeTypeName}\` itself.` },
      },
      extensions: { forumDev: { kind: 'edge' } },
    });
    return new GraphQLObjectType({
      name: names.connection,
      description: `A page of \`${names.nodeTypeName}\` values, with what is needed to page on.`,
      fields: {
        nodes: { type: new GraphQLNonNull(new GraphQLList(item)), description: `The \`${names.nodeTypeName}\` values on this page.` },
        edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))), description: `The \`${names.nodeTypeName}\` values on this page, each with its cursor.` },
        ...(names.pageInfo === false ? {} : {
          pageInfo: { type: new GraphQLNonNull(pageInfoType(ctx)), description: 'Where this page sits in the whole list.' },
        }),
        totalCount: { type: new GraphQLNonNull(GraphQLInt), description: `How many \`${names.nodeTypeName}\` values the whole list holds, across all pages.` },
      },
      extensions: { forumDev: { kind: 'connection', connection: { nodeType: nodePgType, table } } },
    });
  });
}

export function tableConnectionType(ctx: BuildContext, table: PgClass): GraphQLObjectType {
  const typeName = ctx.inflect.tableType(table);
  return connectionType(ctx, {
    connection: ctx.inflect.connection(typeName), edge: ctx.inflect.edge(typeName), nodeTypeName: typeName,
  }, ctx.rowType(table), getType(ctx, table.typeId), table);
}

export function orderByType(ctx: BuildContext, table: PgClass): GraphQLEnumType {
  return cached(ctx, 'orderBy', table.id, () => {
    const typeName = ctx.inflect.tableType(table);
    // v4's `orderByNullsLast`: every value of the enum places nulls so, whatever its direction
    const nullsLast = ctx.options.orderByNullsLast;
    const nulls = nullsLast === undefined ? {} : { nullsFirst: !nullsLast };
    const values: Record<string, { value: OrderByValue }> = {
      NATURAL: { value: { specs: [], unique: false, cursorName: 'natural' } },
    };
    // v4 orders by every column not omitted for `order`, even ones hidden from reading.
    for (const attr of table.attributes) {
      if (omitted(attr.tags, 'order') || unindexed(ctx, attr)) continue;
      for (const ascending of [true, false]) {
        const name = ctx.inflect.orderByColumnEnum(attr, ascending);
        values[name] = { value: { specs: [{ attr, ascending, ...nulls }], unique: isUniqueColumn(table, attr.num), cursorName: name.toLowerCase() } };
      }
    }
    for (const { proc, fieldName } of computedFilters(ctx, table, 'sortable')) {
      for (const ascending of [true, false]) {
        const name = ctx.inflect.orderByEnum(fieldName, ascending);
        // `@isUnique`: no two rows share the value, so no tie-break is added
        values[name] = { value: { specs: [{ proc, ascending, ...nulls }], unique: proc.tags.isUnique !== undefined, cursorName: name.toLowerCase() } };
      }
    }
    const pk = table.primaryKey;
    if (pk) {
      for (const ascending of [true, false]) {
        const specs = pk.keyAttributeNums.map((n) => ({
          attr: table.attributes.find((a) => a.num === n)!, ascending, ...nulls,
        }));
        const name = ascending ? 'PRIMARY_KEY_ASC' : 'PRIMARY_KEY_DESC';
        values[name] = { value: { specs, unique: true, cursorName: name.toLowerCase() } };
      }
    }
    return new GraphQLEnumType({
      name: ctx.inflect.orderByType(typeName),
      description: `The orders a list of \`${typeName}\` can be sorted in.`,
      values,
    });
  });
}

/**
 * A column that alone is a primary or unique key orders rows uniquely (no tie-break needed).
 * v4 knows this from unique indexes only: keys declared by smart comments still get the tie-break.
 */
function isUniqueColumn(table: PgClass, num: number): boolean {
  return table.constraints.some((c) => (c.type === 'p' || c.type === 'u') && !c.isFake && c.keyAttributeNums.length === 1 && c.keyAttributeNums[0] === num);
}

export function conditionType(ctx: BuildContext, table: PgClass): GraphQLInputObjectType {
  return cached(ctx, 'condition', table.id, () => {
    const typeName = ctx.inflect.tableType(table);
    return new GraphQLInputObjectType({
      name: ctx.inflect.conditionType(typeName),
      description: `Filters a list of \`${typeName}\`: each field set must equal the item's value (null matches null); all must hold.`,
      fields: () => {
        const fields: GraphQLInputFieldConfigMap = {};
        for (const attr of table.attributes) {
          if (omitted(attr.tags, 'filter') || unindexed(ctx, attr)) continue;
          const type = getType(ctx, attr.typeId);
          const t = inputType(ctx, type);
          if (!t) continue;
          const name = ctx.inflect.column(attr);
          fields[name] = {
            type: t, description: `Keeps only items whose \`${name}\` equals this value.`,
            extensions: { forumDev: { attr, type } },
          };
        }
        for (const { proc, fieldName } of computedFilters(ctx, table, 'filterable')) {
          const type = getType(ctx, proc.returnTypeId);
          const t = inputType(ctx, type);
          if (!t) continue;
          fields[fieldName] = {
            type: t, description: `Keeps only items whose \`${fieldName}\` equals this value.`,
            extensions: { forumDev: { proc, type } },
          };
        }
        return fields;
      },
    });
  });
}

/** Computed columns tagged `@sortable`/`@filterable` that take only the row: usable in orderBy/condition. */
function computedFilters(ctx: BuildContext, table: PgClass, tag: 'sortable' | 'filterable') {
  const out: Array<{ proc: PgProc; fieldName: string }> = [];
  for (const proc of ctx.model.procs) {
    if (proc.tags[tag] === undefined || proc.returnsSet || omitted(proc.tags, 'execute')) continue;
    if (computedColumnTable(ctx, proc) !== table) continue;
    const inputs = proc.argModes.length ? proc.argModes.filter((m) => m === 'i' || m === 'b').length : proc.argTypeIds.length;
    if (inputs - proc.argDefaultsNum > 1) continue;
    out.push({ proc, fieldName: ctx.inflect.computedColumn(proc.name.slice(table.name.length + 1), proc) });
  }
  return out;
}

/** Arguments of a simple list field: no cursors, and orderBy without a default (as v4). */
export function listArgs(ctx: BuildContext, table: PgClass | null, opts: { orderBy: boolean; condition: boolean; filter?: FilterSource }): GraphQLFieldConfigArgumentMap {
  const all = connectionArgs(ctx, table, { ...opts, orderByDefault: false });
  const { first, offset, orderBy, condition, filter } = all;
  return Object.fromEntries(Object.entries({ first, offset: offset && { ...offset, description: 'Skip the first `n` items.' }, orderBy, condition, filter })
    .filter(([, v]) => v !== undefined)) as GraphQLFieldConfigArgumentMap;
}

export function connectionArgs(
  ctx: BuildContext, table: PgClass | null,
  opts: { orderBy: boolean; condition: boolean; orderByDefault?: boolean; filter?: FilterSource },
): GraphQLFieldConfigArgumentMap {
  const args: GraphQLFieldConfigArgumentMap = {
    first: { type: GraphQLInt, description: 'Take only the first `n` items.' },
    last: { type: GraphQLInt, description: 'Take only the last `n` items.' },
    offset: { type: GraphQLInt, description: 'Skip `n` items from the start (after `after`, if given); cannot be combined with `last`.' },
    before: { type: ctx.scalars.Cursor, description: 'Take only items before this cursor.' },
    after: { type: ctx.scalars.Cursor, description: 'Take only items after this cursor.' },
  };
  if (table && opts.orderBy && !omitted(table.tags, 'order')) {
    const ob = orderByType(ctx, table);
    args.orderBy = {
      type: new GraphQLList(new GraphQLNonNull(ob)),
      description: `How to sort the \`${ctx.inflect.tableType(table)}\` values.`,
      defaultValue: opts.orderByDefault === false ? undefined : [ob.getValue(table.primaryKey ? 'PRIMARY_KEY_ASC' : 'NATURAL')!.value],
    };
  }
  // a condition with no fields (every column omitted or, with --no-ignore-indexes, unindexed)
  // is no argument at all, as in v4
  const condition = table && opts.condition && !omitted(table.tags, 'filter') ? conditionType(ctx, table) : undefined;
  if (condition && Object.keys(condition.getFields()).length) {
    args.condition = {
      type: condition,
      description: 'Keeps only the items whose fields equal the values given.',
    };
  }
  // the connection filter's argument (`--append-plugins postgraphile-plugin-connection-filter`)
  const filter = opts.filter && filterArg(ctx, opts.filter);
  if (filter) args.filter = filter;
  return args;
}
