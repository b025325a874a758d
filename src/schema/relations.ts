// Foreign keys as fields: forward (`Post.personByAuthorId`) and backward
// (`Person.postsByAuthorId`, a connection; a single row when the referencing columns are unique).
import { GraphQLNonNull, type GraphQLFieldConfigMap } from 'graphql';
import type { PgAttribute, PgClass, PgConstraint } from '../introspection/model';
import { attributeByNum } from '../introspection/model';
import { omitted, type BuildContext } from './context';
import { connectionArgs, tableConnectionType } from './connections';
import { inflect } from './inflection';
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
    .filter((c) => c.type === 'f' && !omitted(c.tags, 'read'))
    .map((c) => relation(ctx, c))
    .filter((r): r is Relation => !!r && isExposedTable(ctx, r.foreign)
      && r.keys.every((k) => !omitted(k.tags, 'read')));
}

export function forwardRelationFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const r of forwardRelations(ctx, cls)) {
    const name = inflect.singleRelationByKeys(r.keys, r.foreign, r.constraint);
    fields[name] = {
      type: ctx.rowType(r.foreign),
      description: `The \`${inflect.tableType(r.foreign)}\` this \`${inflect.tableType(cls)}\` refers to.`,
      extensions: plan({ kind: 'forward', table: cls, foreign: r.foreign, keys: r.keys, foreignKeys: r.foreignKeys }),
    };
  }
  return fields;
}

function isUniqueKey(table: PgClass, keys: PgAttribute[]): boolean {
  const nums = keys.map((k) => k.num).sort();
  return table.constraints.some((c) => (c.type === 'p' || c.type === 'u')
    && c.keyAttributeNums.length === nums.length
    && [...c.keyAttributeNums].sort().every((n, i) => n === nums[i]));
}

export function backwardRelationFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const other of ctx.model.classes) {
    if (!isExposedTable(ctx, other)) continue;
    for (const c of other.constraints) {
      if (c.type !== 'f' || c.foreignClassId !== cls.id || omitted(c.tags, 'read')) continue;
      const r = relation(ctx, c);
      if (!r || r.keys.some((k) => omitted(k.tags, 'read'))) continue;
      const base = { kind: 'backward' as const, table: other, foreign: cls, keys: r.keys, foreignKeys: r.foreignKeys };
      if (isUniqueKey(other, r.keys)) {
        fields[inflect.singleRelationByKeysBackwards(r.keys, other, c)] = {
          type: ctx.rowType(other),
          description: `The \`${inflect.tableType(other)}\` that refers to this \`${inflect.tableType(cls)}\`.`,
          extensions: plan({ ...base, single: true, list: false }),
        };
        continue;
      }
      if (omitted(c.tags, 'many')) continue;
      fields[inflect.manyRelationByKeys(r.keys, other, c)] = {
        type: new GraphQLNonNull(tableConnectionType(ctx, other)),
        description: `The \`${inflect.tableType(other)}\` values that refer to this \`${inflect.tableType(cls)}\`, a page at a time.`,
        args: connectionArgs(ctx, other, { orderBy: true, condition: true }),
        extensions: plan({ ...base, single: false, list: false }),
      };
    }
  }
  return fields;
}
