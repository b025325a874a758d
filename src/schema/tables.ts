// Row types for tables, views and composite types, and the input types that write to them
// (`PersonInput`, `PersonPatch`). Field order follows v4: nodeId, columns, forward relations,
// backward relations, computed columns.
import {
  GraphQLID, GraphQLInputObjectType, GraphQLNonNull, GraphQLObjectType,
  type GraphQLFieldConfig, type GraphQLFieldConfigMap, type GraphQLInputFieldConfigMap,
} from 'graphql';
import type { PgAttribute, PgClass } from '../introspection/model';
import {
  addFields,
  cached, deprecation, getType, inputType, nonNull, omitted, outputType, type BuildContext,
} from './context';
import { makeNodeInterface } from './node';
import type { FieldPlan, InputFieldPlan } from './plans';
import { backwardRelationFields, forwardRelationFields } from './relations';
import { computedColumnFields } from './functions';

export const NODE_ID_DESCRIPTION =
  'An opaque identifier, unique across the whole API, for refetching this object through `node`.';

export function plan(p: FieldPlan) {
  return { forumDev: p };
}

export function isTable(cls: PgClass): boolean {
  return cls.classKind !== 'c';
}

export function isExposedTable(ctx: BuildContext, cls: PgClass): boolean {
  return ctx.exposedNamespaceIds.has(cls.namespaceId) && isTable(cls) && cls.isSelectable
    && !omitted(cls.tags, 'read') && !omitted(cls.tags, '*') && cls.tags.enum === undefined;
}

/** `@deprecated` on a table deprecates the ways to reach and change its rows. */
export function tableDeprecation(cls: PgClass): string | undefined {
  return deprecation(cls.tags);
}

export function hasNodeId(cls: PgClass): boolean {
  return isTable(cls) && !!cls.primaryKey && cls.primaryKey.keyAttributeNums.length > 0;
}

export function visibleColumns(cls: PgClass, action = 'read'): PgAttribute[] {
  return cls.attributes.filter((a) => !omitted(a.tags, action));
}

export function columnField(ctx: BuildContext, attr: PgAttribute): GraphQLFieldConfig<unknown, unknown> {
  const type = getType(ctx, attr.typeId);
  const notNull = attr.isNotNull || type.domainIsNotNull;
  return {
    type: nonNull(outputType(ctx, type), notNull),
    description: attr.description ?? undefined,
    deprecationReason: deprecation(attr.tags),
    extensions: plan({ kind: 'column', attr, type }),
  };
}

export function installRowTypes(ctx: BuildContext): void {
  ctx.rowType = (cls) => cached(ctx, 'row', cls.id, () => {
    if (isTable(cls)) ctx.plan.aliasByClassId.set(cls.id, ctx.inflect.nodeAlias(cls));
    return new GraphQLObjectType({
      name: ctx.inflect.tableType(cls),
      // `comment on type` lands on the composite's pg_type row, `comment on table` on pg_class.
      description: cls.description ?? ctx.model.typeById.get(cls.typeId)?.description ?? undefined,
      interfaces: () => (hasNodeId(cls) ? [nodeInterface(ctx)] : []),
      fields: () => rowFields(ctx, cls),
      extensions: { forumDev: { kind: isTable(cls) ? 'row' : 'composite', table: cls } },
    });
  });
  ctx.rowInputType = (cls) => cached(ctx, 'rowInput', cls.id, () => {
    const name = ctx.inflect.inputType(ctx.inflect.tableType(cls));
    const type = inputObjectOrNull(name, isTable(cls)
      ? `The fields of a \`${ctx.inflect.tableType(cls)}\` to create.`
      : `An input value of the composite type \`${ctx.inflect.tableType(cls)}\`.`,
    inputFields(ctx, cls, isTable(cls) ? 'create' : 'input'));
    if (type) ctx.plan.inputTypeByClassId.set(cls.id, name);
    return type;
  });
}

/**
 * v4 makes no input type that would have no fields (say, no column the role may insert), and
 * leaves out what would need it. The fields are worked out here, once, to know.
 */
function inputObjectOrNull(name: string, description: string, fields: GraphQLInputFieldConfigMap): GraphQLInputObjectType | null {
  for (const _ in fields) return new GraphQLInputObjectType({ name, description, fields });
  return null;
}

function rowFields(ctx: BuildContext, cls: PgClass): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  if (hasNodeId(cls)) {
    fields[ctx.plan.nodeIdField] = {
      type: new GraphQLNonNull(GraphQLID), description: NODE_ID_DESCRIPTION,
      extensions: plan({ kind: 'nodeId', table: cls }),
    };
  }
  const typeName = ctx.inflect.tableType(cls);
  const columns: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const attr of visibleColumns(cls)) columns[ctx.inflect.column(attr)] = columnField(ctx, attr);
  addFields(typeName, fields, columns);
  // composite types relate to tables through `@foreignKey`, one way only (as in v4)
  addFields(typeName, fields, forwardRelationFields(ctx, cls));
  if (isTable(cls)) addFields(typeName, fields, backwardRelationFields(ctx, cls));
  addFields(typeName, fields, computedColumnFields(ctx, cls));
  return fields;
}

/** Writable columns: identity ALWAYS columns cannot be written (v4 still lists generated ones). */
export function writableColumns(cls: PgClass, action: 'create' | 'update'): PgAttribute[] {
  return cls.attributes.filter((a) => !omitted(a.tags, action) && a.identity !== 'a');
}

function inputFields(ctx: BuildContext, cls: PgClass, mode: 'create' | 'patch' | 'input' | 'base'): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  const cols = mode === 'input' ? cls.attributes
    : mode === 'base' ? cls.attributes.filter((a) => !omitted(a.tags, 'base'))
      : writableColumns(cls, mode === 'create' ? 'create' : 'update');
  for (const attr of cols) {
    const type = getType(ctx, attr.typeId);
    const t = inputType(ctx, type);
    if (!t) continue;
    // a NOT NULL domain without a default must be given too, in composite inputs as well
    const notNull = attr.isNotNull || (type.domainIsNotNull && !type.domainHasDefault);
    // `@hasDefault`: something else (a trigger) fills it in
    const defaulted = attr.hasDefault || attr.tags.hasDefault !== undefined;
    const required = (mode === 'create' || mode === 'input') && notNull && !defaulted && attr.identity === '';
    fields[ctx.inflect.column(attr)] = {
      type: nonNull(t, required),
      description: attr.description ?? undefined,
      extensions: { forumDev: { attr, type } satisfies InputFieldPlan },
    };
  }
  return fields;
}

export function patchType(ctx: BuildContext, cls: PgClass): GraphQLInputObjectType | null {
  return cached(ctx, 'patch', cls.id, () => inputObjectOrNull(ctx.inflect.patchType(ctx.inflect.tableType(cls)),
    `Changes to a \`${ctx.inflect.tableType(cls)}\`: only the fields that are set are written.`,
    inputFields(ctx, cls, 'patch')));
}

/** v4's `<Table>BaseInput`: every column, all nullable, for `@argNvariant base` function arguments. */
export function baseInputType(ctx: BuildContext, cls: PgClass): GraphQLInputObjectType | null {
  return cached(ctx, 'baseInput', cls.id, () => inputObjectOrNull(ctx.inflect.baseInputType(ctx.inflect.tableType(cls)),
    `A \`${ctx.inflect.tableType(cls)}\` as a function argument: every field may be left out.`,
    inputFields(ctx, cls, 'base')));
}

export function nodeInterface(ctx: BuildContext) {
  return cached(ctx, 'Node', '', () => makeNodeInterface(ctx.plan.nodeIdField));
}
