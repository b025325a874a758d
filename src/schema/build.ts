// Model + options → a graphql-js schema shaped like PostGraphile v4's default one. Every field
// carries its database meaning in `extensions.forumDev`, read by the SQL compiler.
import {
  GraphQLID, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType, lexicographicSortSchema, type GraphQLSchema,
  type GraphQLFieldConfig, type GraphQLFieldConfigMap,
} from 'graphql';
import type { Model, PgClass } from '../introspection/model';
import { attributeByNum } from '../introspection/model';
import { addFields, cached, cachedOnly, collectionShapes, createContext, deprecation, inputType, omitted, setCached, type BuildContext, type SchemaOptions } from './context';
import { connectionArgs, listArgs, tableConnectionType } from './connections';
import { queryProcFields } from './functions';
import { procMutationFields, tableMutationFields } from './mutations';
import { buildSubscriptionType } from './subscriptions';
import { hasNodeId, installRowTypes, isExposedTable, nodeInterface, NODE_ID_DESCRIPTION, plan, tableDeprecation } from './tables';
import type { InputFieldPlan } from './plans';
import { assembleSchema, objectTypeAgain, typeReferences, type MadeFields, type TypeReferences } from './assemble';
import { adoptUnchanged, mayReuse, seedFromPrevious, signatures, unchangedClasses, type BuildMemo, type ReuseStats } from './reuse';

export type { SchemaOptions };

export function buildGraphQLSchema(model: Model, options: SchemaOptions): GraphQLSchema {
  return buildSchema(model, options).schema;
}

export interface BuiltSchema {
  schema: GraphQLSchema;
  /** For the next build to reuse from (see reuse.ts). */
  memo: BuildMemo;
  /** What was taken from `previous`; null when this was a full build. */
  reuse: ReuseStats | null;
  /**
   * The types taken from `previous`. Such a schema is made `assumeValid`: its caller must check
   * it with `validateNewTypes` (snapshot.ts does) and not serve it if that finds anything.
   */
  reusedTypes: ReadonlySet<unknown> | null;
}

/**
 * Builds the schema, reusing from `previous` what the model's changes did not touch. With
 * `previous`, `model` (fresh from introspection, not yet shared) is changed in place to hold the
 * previous model's objects wherever they are equal (see reuse.ts).
 */
export function buildSchema(model: Model, options: SchemaOptions, previous?: BuildMemo): BuiltSchema {
  let sigs = signatures(model);
  const prev = mayReuse(previous, options, sigs) ? previous : undefined;
  const clean = prev ? unchangedClasses(prev, model, sigs) : undefined;
  if (prev && clean) sigs = adoptUnchanged(model, prev, clean);
  const ctx = createContext(model, options, prev);
  installRowTypes(ctx);
  const seeded = prev && clean ? seedFromPrevious(ctx, prev, clean) : null;
  ctx.reused = seeded?.types;
  // kept across builds: a reused type's references are the same (see assemble.ts)
  const references = previous?.references ?? typeReferences();
  const schema = buildWith(ctx, !!seeded, references, seeded ? prev : undefined);
  return {
    schema, reuse: seeded?.stats ?? null, reusedTypes: seeded?.types ?? null,
    memo: {
      model, options, schema, scalars: ctx.scalars, inflect: ctx.inflect, types: ctx.types, warnings: ctx.plan.warnings.length,
      signatures: sigs, references,
    },
  };
}

/**
 * `previous`: the previous build's memo when this one reuses from it; Query's and Mutation's
 * fields then take its made fields where their configs are the same (assemble.ts).
 */
function buildWith(ctx: BuildContext, assumeValid: boolean, references: TypeReferences, previous?: BuildMemo): GraphQLSchema {
  const { model, options } = ctx;
  const tables = model.classes.filter((c) => isExposedTable(ctx, c));

  const made = (name: string) => previous?.types.get('madeFields')?.get(name) as MadeFields | undefined;
  const keep = (name: string) => (m: MadeFields) => setCached(ctx, 'madeFields', name, m);
  const Query: GraphQLObjectType = objectTypeAgain({
    name: 'Query',
    description: 'The entry point for reading: every table, lookup and query function starts here.',
    interfaces: () => [nodeInterface(ctx)],
    fields: () => {
      const fields: GraphQLFieldConfigMap<unknown, unknown> = {
        query: {
          type: new GraphQLNonNull(Query),
          description: 'The root query type again, for clients (such as Relay 1) that can only read through a field.',
          extensions: plan({ kind: 'queryRoot' }),
        },
        [ctx.plan.nodeIdField]: {
          type: new GraphQLNonNull(GraphQLID),
          description: 'The root query type is a `Node` too, so Relay 1 mutations work; its id is always `query`.',
          extensions: plan({ kind: 'queryNodeId' }),
        },
        node: {
          type: nodeInterface(ctx),
          description: 'Fetches any object by its `nodeId`.',
          args: { [ctx.plan.nodeIdField]: { type: new GraphQLNonNull(GraphQLID), description: 'The `nodeId` of the object to fetch.' } },
          extensions: plan({ kind: 'node' }),
        },
      };
      const perTable = tables.map((t) => tableQueryFields(ctx, t));
      for (const q of perTable) for (const [name, field] of q.all) fields[name] = field;
      for (const q of perTable) for (const [name, field] of q.keys) fields[name] = field;
      addFields('Query', fields, queryProcFields(ctx));
      for (const q of perTable) for (const [name, field] of q.node) fields[name] = field;
      return fields;
    },
  }, made('Query'), keep('Query'));
  cached(ctx, 'Query', '', () => Query);

  const crud = options.disableDefaultMutations ? {} : tableMutationFields(ctx);
  const procs = procMutationFields(ctx);
  // A mutation function named like a table's mutation (`create_post`) would make a second
  // `CreatePostPayload`: v4 logs that and leaves the function out, and so does this.
  for (const name of Object.keys(procs)) {
    if (!(name in crud)) continue;
    delete procs[name];
    ctx.plan.warnings.push(`the mutation function behind Mutation.${name} is left out: a table's mutation has that name; rename the function or give it another with a @name smart comment`);
  }
  const mutationFields = addFields('Mutation', crud, procs);
  const Mutation = Object.keys(mutationFields).length
    ? objectTypeAgain({
      name: 'Mutation',
      description: 'The entry point for writing: creates, updates, deletes and mutation functions.',
      fields: mutationFields,
    }, made('Mutation'), keep('Mutation'))
    : undefined;

  const Subscription = options.simpleSubscriptions || options.live
    ? buildSubscriptionType(Query, nodeInterface(ctx), { listen: !!options.simpleSubscriptions, live: !!options.live })
    : undefined;

  const schema = assembleSchema({ query: Query, mutation: Mutation, subscription: Subscription, extensions: { forumDev: ctx.plan }, assumeValid }, references);
  recordNodeTypes(ctx, schema);
  recordInputFields(ctx, schema);
  return schema;
}

type FieldEntry = [string, GraphQLFieldConfig<unknown, unknown>];

/** One table's Query fields: `all…` (connection, list), by each unique key, by node id. */
export interface TableQueryFields {
  all: FieldEntry[];
  keys: FieldEntry[];
  node: FieldEntry[];
}

/** Made once per table; a reload takes an unchanged table's from the previous build (reuse.ts). */
function tableQueryFields(ctx: BuildContext, t: PgClass): TableQueryFields {
  return cached(ctx, 'queryFields', t.id, () => {
    const out: TableQueryFields = { all: [], keys: [], node: [] };
    if (!omitted(t.tags, 'all')) {
      const shapes = collectionShapes(ctx, t.tags);
      if (shapes.connection) out.all.push([ctx.inflect.allRows(t), {
        type: tableConnectionType(ctx, t),
        description: `Reads \`${ctx.inflect.tableType(t)}\` values a page at a time, filtered and sorted as asked.`,
        deprecationReason: tableDeprecation(t),
        args: connectionArgs(ctx, t, { orderBy: true, condition: true, filter: { table: t } }),
        extensions: plan({ kind: 'allRows', table: t, list: false }),
      }]);
      if (shapes.list) {
        out.all.push([ctx.inflect.allRowsSimple(t), {
          type: new GraphQLList(new GraphQLNonNull(ctx.rowType(t))),
          description: `Reads \`${ctx.inflect.tableType(t)}\` values as a plain list, filtered and sorted as asked.`,
          deprecationReason: tableDeprecation(t),
          args: listArgs(ctx, t, { orderBy: true, condition: true, filter: { table: t } }),
          extensions: plan({ kind: 'allRows', table: t, list: true }),
        }]);
      }
    }
    for (const c of t.constraints) {
      if ((c.type !== 'p' && c.type !== 'u') || omitted(c.tags, '*') || omitted(c.tags, 'read')) continue;
      const keys = c.keyAttributeNums.map((n) => attributeByNum(t, n));
      const args: Record<string, { type: any }> = {};
      let ok = true;
      for (const k of keys) {
        const it = inputType(ctx, ctx.model.typeById.get(k.typeId)!);
        if (!it) ok = false;
        else args[ctx.inflect.column(k)] = { type: new GraphQLNonNull(it) };
      }
      if (!ok) continue;
      out.keys.push([ctx.inflect.rowByUniqueKeys(keys, t, c), {
        type: ctx.rowType(t),
        description: `Reads one \`${ctx.inflect.tableType(t)}\` by a unique key.`,
        deprecationReason: deprecation(c.tags),
        args,
        extensions: plan({ kind: 'rowByKeys', table: t, keys }),
      }]);
    }
    if (hasNodeId(t)) {
      out.node.push([ctx.inflect.tableNode(t), {
        type: ctx.rowType(t),
        description: `Reads one \`${ctx.inflect.tableType(t)}\` by its \`nodeId\`.`,
        deprecationReason: tableDeprecation(t),
        args: { [ctx.plan.nodeIdField]: { type: new GraphQLNonNull(GraphQLID), description: `The \`nodeId\` of the \`${ctx.inflect.tableType(t)}\`.` } },
        extensions: plan({ kind: 'rowByNodeId', table: t }),
      }]);
    }
    return out;
  });
}

/** Which input field carries each column of a whole-value input type, read by every write of one. */
function recordInputFields(ctx: BuildContext, schema: GraphQLSchema): void {
  for (const [classId, name] of ctx.plan.inputTypeByClassId) {
    if (ctx.plan.inputFieldsByClassId.has(classId)) continue; // a reused type's (reuse.ts)
    const type = schema.getType(name);
    if (!(type instanceof GraphQLInputObjectType)) continue;
    const fields = new Map<string, string>();
    for (const f of Object.values(type.getFields())) fields.set((f.extensions.forumDev as InputFieldPlan).attr.name, f.name);
    ctx.plan.inputFieldsByClassId.set(classId, fields);
  }
}

/**
 * Which table a node id names: the first table (in catalog order) with that alias whose row
 * type the schema holds. Building the schema made every row type, so this runs after it.
 */
function recordNodeTypes(ctx: BuildContext, schema: GraphQLSchema): void {
  for (const t of ctx.model.classes) {
    const type = cachedOnly<GraphQLObjectType>(ctx, 'row', t.id);
    const alias = ctx.plan.aliasByClassId.get(t.id);
    if (!type || alias === undefined || !hasNodeId(t) || !ctx.exposedNamespaceIds.has(t.namespaceId)) continue;
    if (schema.getType(type.name) !== type || ctx.plan.nodeByAlias.has(alias)) continue;
    ctx.plan.nodeByAlias.set(alias, { alias, table: t, typeName: type.name });
  }
}

export { lexicographicSortSchema, NODE_ID_DESCRIPTION };
