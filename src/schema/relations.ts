// Foreign keys as fields: forward (`Post.personByAuthorId`) and backward
// (`Person.postsByAuthorId`, a connection; a single row when the referencing columns are unique).
import { GraphQLList, GraphQLNonNull, type GraphQLFieldConfigMap } from 'graphql';
import type { PgAttribute, PgClass, PgConstraint } from '../introspection/model';
import { attributeByNum } from '../introspection/model';
import { cached, collectionShapes, deprecation, omitted, unindexed, type BuildContext } from './context';
import { connectionArgs, listArgs, tableConnectionType } from './connections';
import { isExposedTable, plan } from './tables';

interface Relation {
  constraint: PgConstraint;
  table: PgClass;
  foreign: PgClass;
  keys: PgAttribute[];
  foreignKeys: PgAttribute[];
}

function relation(ctx: BuildContext, constraint: PgConstraint): Relation | null {
  const table = ctx.model.classById.get(constraint.classId);
  const foreign = constraint.foreignClassId ? ctx.model.classById.get(constraint.foreignClassId) : undefined;
  if (!table || !foreign || !constraint.foreignKeyAttributeNums) return null;
  return {
    constraint, table, foreign,
    keys: constraint.keyAttributeNums.map((n) => attributeByNum(table, n)),
    foreignKeys: constraint.foreignKeyAttributeNums.map((n) => attributeByNum(foreign, n)),
  };
}

export function forwardRelations(ctx: BuildContext, cls: PgClass): Relation[] {
  return cls.constraints
    .filter((c) => c.type === 'f' && !omitted(c.tags, 'read') && !unindexed(ctx, c))
    .map((c) => relation(ctx, c))
    .filter((r): r is Relation => !!r && isExposedTable(ctx, r.foreign)
      && r.keys.every((k) => !omitted(k.tags, 'read')));
}

export function forwardRelationFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const r of forwardRelations(ctx, cls)) {
    const name = ctx.inflect.singleRelationByKeys(r.keys, r.foreign, r.constraint);
    fields[name] = {
      type: ctx.rowType(r.foreign),
      description: `The \`${ctx.inflect.tableType(r.foreign)}\` this \`${ctx.inflect.tableType(cls)}\` refers to.`,
      deprecationReason: deprecation(r.constraint.tags),
      extensions: plan({ kind: 'forward', table: cls, foreign: r.foreign, keys: r.keys, foreignKeys: r.foreignKeys }),
    };
  }
  return fields;
}

/** One-to-one when a key lists the referencing columns in the same order (v4 compares in order). */
function isUniqueKey(table: PgClass, keys: PgAttribute[]): boolean {
  return table.constraints.some((c) => (c.type === 'p' || c.type === 'u')
    && c.keyAttributeNums.length === keys.length
    && c.keyAttributeNums.every((n, i) => n === keys[i].num));
}

/** Foreign keys pointing at `cls`, in catalog order (referencing table's oid, then key columns). */
function referencingConstraints(ctx: BuildContext, cls: PgClass): PgConstraint[] {
  // indexed once per build: scanning every table for every table is quadratic
  const byTarget = cached(ctx, 'fkByTarget', '', () => {
    const index = new Map<string, PgConstraint[]>();
    for (const c of ctx.model.classes) {
      if (!isExposedTable(ctx, c)) continue;
      for (const con of c.constraints) {
        if (con.type !== 'f' || !con.foreignClassId || omitted(con.tags, 'read') || unindexed(ctx, con)) continue;
        const list = index.get(con.foreignClassId) ?? [];
        list.push(con);
        index.set(con.foreignClassId, list);
      }
    }
    return index;
  });
  return inCatalogOrder([...(byTarget.get(cls.id) ?? [])]);
}

/** Foreign keys as v4 lists them: by referencing table's oid, then key columns, then name. */
export function inCatalogOrder(all: PgConstraint[]): PgConstraint[] {
  const num = (id: string) => (/^\d+$/.test(id) ? Number(id) : Number.MAX_SAFE_INTEGER);
  const cmpArr = (a: number[] | null, b: number[] | null) => (a ?? []).join(',').localeCompare((b ?? []).join(','));
  return all.sort((a, b) => num(a.classId) - num(b.classId) || cmpArr(a.keyAttributeNums, b.keyAttributeNums)
    || cmpArr(a.foreignKeyAttributeNums, b.foreignKeyAttributeNums) || a.name.localeCompare(b.name));
}

export function backwardRelationFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const c of referencingConstraints(ctx, cls)) {
    const other = ctx.model.classById.get(c.classId)!;
    const r = relation(ctx, c);
    if (!r || r.keys.some((k) => omitted(k.tags, 'read'))) continue;
    const base = { kind: 'backward' as const, table: other, foreign: cls, keys: r.keys, foreignKeys: r.foreignKeys };
    // v4 deprecates the fields that reach a `@deprecated` table, over its own one-to-one notice
    const tableReason = deprecation(other.tags);
    let deprecationReason = tableReason;
    const unique = isUniqueKey(other, r.keys);
    // v4's --legacy-relations: `only` keeps just the connection (as before one-to-one detection),
    // `omit` just the single field, `deprecated` (the default) both
    const legacy = ctx.options.legacyRelations ?? 'deprecated';
    if (unique && legacy !== 'only') {
      const single = ctx.inflect.singleRelationByKeysBackwards(r.keys, other, c, cls);
      fields[single] = {
        type: ctx.rowType(other),
        description: `The \`${ctx.inflect.tableType(other)}\` that refers to this \`${ctx.inflect.tableType(cls)}\`.`,
        deprecationReason: tableReason,
        extensions: plan({ ...base, single: true, list: false }),
      };
      // v4 also keeps the connection, deprecated, for clients written before one-to-one detection.
      if (legacy === 'deprecated') deprecationReason = tableReason ?? `Please use ${single} instead`;
    }
    if (omitted(c.tags, 'many') || omitted(other.tags, 'many') || (unique && legacy === 'omit')) continue;
    const shapes = collectionShapes(ctx, c.tags, other.tags);
    if (shapes.connection) {
      fields[ctx.inflect.manyRelationByKeys(r.keys, other, c, cls)] = {
        type: new GraphQLNonNull(tableConnectionType(ctx, other)),
        description: `The \`${ctx.inflect.tableType(other)}\` values that refer to this \`${ctx.inflect.tableType(cls)}\`, a page at a time.`,
        args: connectionArgs(ctx, other, { orderBy: true, condition: true, filter: { table: other } }),
        deprecationReason,
        extensions: plan({ ...base, single: false, list: false }),
      };
    }
    // A one-to-one relation has its single field instead of a list (v4 adds none).
    if (shapes.list && !unique) {
      fields[ctx.inflect.manyRelationByKeysSimple(r.keys, other, c, cls)] = {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(ctx.rowType(other)))),
        description: `The \`${ctx.inflect.tableType(other)}\` values that refer to this \`${ctx.inflect.tableType(cls)}\`, as a plain list.`,
        args: listArgs(ctx, other, { orderBy: true, condition: true, filter: { table: other } }),
        deprecationReason,
        extensions: plan({ ...base, single: false, list: true }),
      };
    }
  }
  return fields;
}
