// The built-in connection filter: a `filter` argument on connections and simple collections, of
// input types shaped as postgraphile-plugin-connection-filter 2.3 makes them on v4
// (`PostFilter { id: IntFilter, author: PersonFilter, and: [PostFilter!], … }`). Every field
// records what it filters on (`extensions.forumDev`, see FilterFieldPlan) for sql/filter.ts.
import {
  GraphQLBoolean, GraphQLInputObjectType, GraphQLList, GraphQLNonNull,
  type GraphQLArgumentConfig, type GraphQLInputFieldConfigMap, type GraphQLNamedType,
} from 'graphql';
import { attributeByNum, type PgAttribute, type PgClass, type PgConstraint, type PgProc } from '../introspection/model';
import { OID } from '../introspection/oids';
import { cached, getType, omitted, outputType, type BuildContext } from './context';
import { filterOptionsOf, operatorsType } from './filter-operators';
import { upperCamelCase } from './case';
import { computedColumnTable, procReturn } from './functions';
import { inCatalogOrder } from './relations';
import type { FilterArgPlan, FilterFieldPlan } from './plans';

export type FilterSource = { table: PgClass } | { proc: PgProc };

const field = (type: GraphQLInputObjectType | typeof GraphQLBoolean, description: string, plan: FilterFieldPlan) =>
  ({ type, description, extensions: { forumDev: plan } });

/**
 * The `filter` argument of a collection, or none (plugin off, `@omit filter`, nothing to filter
 * on, or a set-returning function when `connectionFilterSetofFunctions` is off and it is not
 * `@filterable`).
 */
export function filterArg(ctx: BuildContext, source: FilterSource): GraphQLArgumentConfig | undefined {
  const options = ctx.options.connectionFilter;
  if (!options) return undefined;
  let type: GraphQLInputObjectType | null;
  let plan: FilterArgPlan;
  if ('table' in source) {
    if (omitted(source.table.tags, 'filter')) return undefined;
    type = tableFilterType(ctx, source.table);
    plan = { allowNullInput: options.allowNullInput, allowEmptyObjectInput: options.allowEmptyObjectInput };
  } else {
    const { proc } = source;
    if (omitted(proc.tags, 'filter') || !(proc.tags.filterable || options.setofFunctions)) return undefined;
    const ret = procReturn(ctx, proc);
    const cls = ret.record ?? (ret.type.classId ? ctx.model.classById.get(ret.type.classId) ?? null : null);
    if (cls) type = tableFilterType(ctx, cls, ret.record ? ctx.inflect.recordFunctionReturnType(proc) : undefined);
    else {
      // A set of scalars takes the filter named after its node type (`IntFilter` for `setof int`,
      // `StringFilter` for types shown as strings) if one was made before it, as with the plugin:
      // otherwise that name stays without a type for the rest of the build. Lists get none.
      const out = outputType(ctx, ret.type);
      if (out instanceof GraphQLList || !('name' in out)) return undefined;
      const key = `filter:${out.name}Filter`;
      if (!ctx.cache.has(key)) ctx.cache.set(key, null);
      type = ctx.cache.get(key) as GraphQLInputObjectType | null;
    }
    plan = { allowNullInput: options.allowNullInput, allowEmptyObjectInput: options.allowEmptyObjectInput, valueType: cls ? undefined : ret.type };
  }
  if (!type) return undefined;
  return { type, description: 'Keeps only the items that match this filter.', extensions: { forumDev: plan } };
}

/**
 * `<Type>Filter` for a table, composite type or function record, or null when it would have no
 * fields. The type is cached before its fields are worked out, so relations back to it (and
 * `and`/`or`/`not`) refer to it while it is being made.
 */
function tableFilterType(ctx: BuildContext, cls: PgClass, recordName?: string): GraphQLInputObjectType | null {
  const typeName = recordName ?? ctx.inflect.tableType(cls);
  const key = `filter:${typeName}Filter`;
  if (ctx.cache.has(key)) return ctx.cache.get(key) as GraphQLInputObjectType | null;
  const fields: GraphQLInputFieldConfigMap = {};
  const type = new GraphQLInputObjectType({
    name: `${typeName}Filter`,
    description: `Conditions on \`${typeName}\` values; all that are set must hold.`,
    fields: () => fields,
  });
  ctx.cache.set(key, type);
  Object.assign(fields, columnFields(ctx, cls, !!recordName));
  if (!recordName) {
    Object.assign(fields, computedFields(ctx, cls), compositeFields(ctx, cls));
    if (filterOptionsOf(ctx).relations) Object.assign(fields, backwardFields(ctx, cls), forwardFields(ctx, cls));
  }
  if (filterOptionsOf(ctx).logicalOperators && Object.keys(fields).length) {
    const self = new GraphQLList(new GraphQLNonNull(type));
    fields.and = { type: self, description: 'Keeps items that match every filter in this list.', extensions: { forumDev: { kind: 'filterLogical', op: 'and' } } };
    fields.or = { type: self, description: 'Keeps items that match at least one filter in this list.', extensions: { forumDev: { kind: 'filterLogical', op: 'or' } } };
    fields.not = { type, description: 'Keeps items that do not match this filter.', extensions: { forumDev: { kind: 'filterLogical', op: 'not' } } };
  }
  if (!Object.keys(fields).length) {
    ctx.cache.set(key, null);
    return null;
  }
  return type;
}

const describeField = (name: string) => `Conditions on \`${name}\`.`;

function columnFields(ctx: BuildContext, cls: PgClass, record: boolean): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const attr of cls.attributes) {
    if (!record && omitted(attr.tags, 'filter')) continue;
    const type = getType(ctx, attr.typeId);
    const ops = operatorsType(ctx, type);
    if (!ops) continue;
    const name = ctx.inflect.column(attr);
    fields[name] = field(ops, describeField(name), { kind: 'filterColumn', attr, type });
  }
  return fields;
}

/** Computed columns that take only the row and return one non-row value (all, or `@filterable` ones). */
function computedFields(ctx: BuildContext, cls: PgClass): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  const options = filterOptionsOf(ctx);
  for (const proc of ctx.model.procs) {
    if (!(proc.tags.filterable || options.computedColumns) || omitted(proc.tags, 'execute') || omitted(proc.tags, 'filter')) continue;
    if (computedColumnTable(ctx, proc) !== cls || proc.returnsSet) continue;
    const inputs = proc.argModes.length ? proc.argModes.filter((m) => m === 'i' || m === 'b').length : proc.argTypeIds.length;
    if (inputs - proc.argDefaultsNum > 1) continue;
    const ret = getType(ctx, proc.returnTypeId);
    if (ret.classId || ret.id === OID.record || ret.id === '2278') continue;
    const ops = operatorsType(ctx, ret);
    if (!ops) continue;
    const name = ctx.inflect.computedColumn(proc.name.slice(cls.name.length + 1), proc);
    fields[name] = field(ops, describeField(name), { kind: 'filterComputed', proc, type: ret });
  }
  return fields;
}

/** Columns of a composite type (not a table's row type): filtered by that type's own filter. */
function compositeFields(ctx: BuildContext, cls: PgClass): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  const allowed = filterOptionsOf(ctx).allowedFieldTypes;
  for (const attr of cls.attributes) {
    if (omitted(attr.tags, 'filter')) continue;
    const type = getType(ctx, attr.typeId);
    const composite = type.type === 'c' && type.classId ? ctx.model.classById.get(type.classId) : undefined;
    if (!composite || composite.isSelectable) continue;
    const nodeName = (outputType(ctx, type) as GraphQLNamedType).name;
    if (allowed && !allowed.includes(nodeName)) continue;
    const sub = tableFilterType(ctx, composite);
    if (!sub) continue;
    const name = ctx.inflect.column(attr);
    fields[name] = field(sub, describeField(name), { kind: 'filterColumn', attr, type });
  }
  return fields;
}

interface Link { constraint: PgConstraint; table: PgClass; foreign: PgClass; keys: PgAttribute[]; foreignKeys: PgAttribute[] }

/** A foreign key the filter may follow: neither it, its tables nor its columns hidden from reading or filtering. */
function link(ctx: BuildContext, c: PgConstraint): Link | null {
  if (c.type !== 'f' || omitted(c.tags, 'read') || omitted(c.tags, 'filter')) return null;
  const table = ctx.model.classById.get(c.classId);
  const foreign = c.foreignClassId ? ctx.model.classById.get(c.foreignClassId) : undefined;
  if (!table || !foreign || !c.foreignKeyAttributeNums || !ctx.exposedNamespaceIds.has(foreign.namespaceId)) return null;
  const keys = c.keyAttributeNums.map((n) => attributeByNum(table, n));
  const foreignKeys = c.foreignKeyAttributeNums.map((n) => attributeByNum(foreign, n));
  if ([...keys, ...foreignKeys].some((a) => omitted(a.tags, 'read'))) return null;
  return { constraint: c, table, foreign, keys, foreignKeys };
}

const hiddenTable = (cls: PgClass) => omitted(cls.tags, 'read') || omitted(cls.tags, 'filter');

function forwardFields(ctx: BuildContext, cls: PgClass): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const c of cls.constraints) {
    const l = link(ctx, c);
    if (!l || hiddenTable(l.foreign)) continue;
    const sub = tableFilterType(ctx, l.foreign);
    if (!sub) continue;
    const name = ctx.inflect.singleRelationByKeys(l.keys, l.foreign, c);
    const plan = { table: l.foreign, keys: l.foreignKeys, rowKeys: l.keys };
    fields[name] = field(sub, `Conditions on the \`${name}\` this item refers to.`, { kind: 'filterRelation', ...plan });
    if (!l.keys.every((k) => k.isNotNull)) {
      fields[`${name}Exists`] = field(GraphQLBoolean, `True: only items that refer to a \`${name}\`; false: only items that do not.`, { kind: 'filterExists', ...plan });
    }
  }
  return fields;
}

function backwardFields(ctx: BuildContext, cls: PgClass): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  const options = filterOptionsOf(ctx);
  const byConnection = options.useListInflectors === undefined ? ctx.options.simpleCollections !== 'only' : !options.useListInflectors;
  for (const c of referencingKeys(ctx, cls)) {
    const other = ctx.model.classById.get(c.classId)!;
    const l = link(ctx, c);
    if (!l || hiddenTable(other)) continue;
    const sub = tableFilterType(ctx, other);
    if (!sub) continue;
    const plan = { table: other, keys: l.keys, rowKeys: l.foreignKeys };
    const unique = other.constraints.some((k) => (k.type === 'p' || k.type === 'u') && k.keyAttributeNums.length === l.keys.length
      && k.keyAttributeNums.every((n, i) => n === l.keys[i].num));
    if (unique) {
      const name = ctx.inflect.singleRelationByKeysBackwards(l.keys, other, c, cls);
      fields[name] = field(sub, `Conditions on the \`${name}\` that refers to this item.`, { kind: 'filterRelation', ...plan });
      fields[`${name}Exists`] = field(GraphQLBoolean, `True: only items a \`${name}\` refers to; false: only items none refers to.`, { kind: 'filterExists', ...plan });
    } else if (!omitted(other.tags, 'many')) {
      const name = byConnection ? ctx.inflect.manyRelationByKeys(l.keys, other, c, cls) : ctx.inflect.manyRelationByKeysSimple(l.keys, other, c, cls);
      fields[name] = field(manyType(ctx, cls, other, sub), `Conditions on the \`${name}\` that refer to this item.`, { kind: 'filterMany', ...plan });
      fields[`${name}Exist`] = field(GraphQLBoolean, `True: only items some \`${name}\` refer to; false: only items none refers to.`, { kind: 'filterExists', ...plan });
    }
  }
  return fields;
}

/** Foreign keys to `cls` from every class, composite types' `@foreignKey`s too (the plugin lists them all). */
function referencingKeys(ctx: BuildContext, cls: PgClass): PgConstraint[] {
  const byTarget = cached(ctx, 'filterKeysByTarget', '', () => {
    const index = new Map<string, PgConstraint[]>();
    for (const o of ctx.model.classes) {
      if (!ctx.exposedNamespaceIds.has(o.namespaceId)) continue;
      for (const c of o.constraints) if (c.type === 'f' && c.foreignClassId) index.set(c.foreignClassId, [...(index.get(c.foreignClassId) ?? []), c]);
    }
    return index;
  });
  const all = byTarget.get(cls.id) ?? [];
  // smart-comment keys come after the catalog's, in the order they were read
  return [...inCatalogOrder(all.filter((c) => !c.isFake)), ...all.filter((c) => c.isFake)];
}

/** `<Table>ToMany<Other>Filter`: `every`, `some` and `none` of the referring rows match. */
function manyType(ctx: BuildContext, cls: PgClass, other: PgClass, sub: GraphQLInputObjectType): GraphQLInputObjectType {
  const otherName = ctx.inflect.tableType(other);
  const name = upperCamelCase(`${ctx.inflect.tableType(cls)}-to-many-${otherName}-filter`);
  return ctx.cache.get(`filter:${name}`) as GraphQLInputObjectType | undefined ?? (() => {
    const made = new GraphQLInputObjectType({
      name,
      description: `Conditions on several \`${otherName}\` values at once.`,
      fields: {
        every: { type: sub, description: `Every \`${otherName}\` matches this filter.`, extensions: { forumDev: { kind: 'filterQuantifier', quantifier: 'every' } } },
        some: { type: sub, description: `At least one \`${otherName}\` matches this filter.`, extensions: { forumDev: { kind: 'filterQuantifier', quantifier: 'some' } } },
        none: { type: sub, description: `No \`${otherName}\` matches this filter.`, extensions: { forumDev: { kind: 'filterQuantifier', quantifier: 'none' } } },
      },
    });
    ctx.cache.set(`filter:${name}`, made);
    return made;
  })();
}
