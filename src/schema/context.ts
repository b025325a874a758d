// Shared state while one schema is built: the model, the options and caches of the GraphQL
// types made so far, plus the mapping from PostgreSQL types to GraphQL types.
import {
  GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType,
  GraphQLInputObjectType, GraphQLBoolean, GraphQLString, isInputType,
  type GraphQLInputType, type GraphQLOutputType, type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
} from 'graphql';
import { omitActions, type Model, type PgClass, type PgType, type Tags } from '../introspection/model';
import type { SchemaPlan } from './plans';
import { builtinForOid, jwtScalar, makeScalars, type Scalars } from './scalars';
import { inflect as v4Inflection, makeInflection, type Inflection } from './inflection';
import { simplifyInflection, type SimplifyOptions } from './inflection-simplify';
import type { V4SchemaOptions } from './v4-options';
import type { FilterOptions } from './filter-options';
import { memoizedInflection } from './inflection-memo';

export interface SchemaOptions extends V4SchemaOptions {
  schemas: string[];
  jwtTokenIdentifier?: string;
  disableDefaultMutations?: boolean;
  ignoreRbac?: boolean;
  simpleSubscriptions?: boolean;
  live?: boolean;
  /** v4's `subscriptions` (on with -S, --simple-subscriptions and --live): it changes which rows count as null. */
  subscriptions?: boolean;
  /** JSON and JSONB as JSON values rather than JSON text (v4's `dynamicJson`). */
  dynamicJson?: boolean;
  /** v4's `--simple-collections`: plain list fields beside (`both`) or instead of (`only`) connections. */
  simpleCollections?: 'omit' | 'both' | 'only';
  /** v4's `setofFunctionsContainNulls` (`-N` turns it off): rows of row-typed sets are never null. */
  setofFunctionsContainNulls?: boolean;
  /** Smart tags file merged into the model by introspection (kept here so reloads read it again). */
  tagsFile?: string;
  /** The simplify inflector's names (`--append-plugins @graphile-contrib/pg-simplify-inflector`). */
  simplifyInflector?: SimplifyOptions;
  /** The connection filter's options (`--append-plugins postgraphile-plugin-connection-filter`). */
  connectionFilter?: FilterOptions;
}

/** The inflection a schema is built with: v4's default, or a built-in variant the options choose. */
export function inflectionFor(options: SchemaOptions): Inflection {
  if (options.simplifyInflector) return simplifyInflection(options.simplifyInflector, !!options.classicIds);
  return options.classicIds ? classicInflection : v4Inflection;
}

const classicInflection = makeInflection(undefined, { classicIds: true });

/** A row-typed set's item type: non-null with `-N, --no-setof-functions-contain-nulls`, as in v4. */
export function setofRowItem<T extends GraphQLOutputType>(ctx: BuildContext, type: T): T | GraphQLNonNull<T> {
  return ctx.options.setofFunctionsContainNulls === false ? new GraphQLNonNull(type) : type;
}

export interface BuildContext {
  model: Model;
  options: SchemaOptions;
  inflect: Inflection;
  scalars: Scalars;
  exposedNamespaceIds: Set<string>;
  jwtType: PgType | null;
  /** What `cached` made so far, by kind (`row`, `out`, …) then by the id it is made for. */
  types: Map<string, Map<string, unknown>>;
  /** Other values made once per build, by key (the connection filter's types). */
  cache: Map<string, unknown>;
  /** The names decided so far that SQL needs; becomes `schema.extensions.forumDev`. */
  plan: SchemaPlan;
  /** Filled by tables.ts; avoids an import cycle between the type mapping and row types. */
  rowType: (cls: PgClass) => GraphQLObjectType;
  /** null when it would have no fields (v4 makes none then). */
  rowInputType: (cls: PgClass) => GraphQLInputObjectType | null;
  /**
   * When reusing (reuse.ts): the types taken from the previous build, and new ones that need no
   * validation because they are made of configs a validated type had (mutations.ts).
   */
  reused?: Set<unknown>;
}

/**
 * `reused`: the previous build's scalars (its reused types point at them) and inflection, whose
 * names are remembered per model object (reuse.ts hands unchanged ones over).
 */
export function createContext(model: Model, options: SchemaOptions, reused?: { scalars: Scalars; inflect: Inflection }): BuildContext {
  const jwtType = options.jwtTokenIdentifier
    ? (() => {
        const [schema, name] = parseIdentifier(options.jwtTokenIdentifier!);
        const t = model.types.find((x) => x.namespaceName === schema && x.name === name);
        if (!t) throw new Error(`--jwt-token-identifier: type ${options.jwtTokenIdentifier} was not found`);
        return t;
      })()
    : null;
  // Every enum's value names, used or not: node ids and cursors may carry any enum's values.
  const inflect = reused?.inflect ?? memoizedInflection(inflectionFor(options));
  const enumNames = new Map(model.types.filter((t) => t.type === 'e').map((t) => [
    t.id, new Map((t.enumVariants ?? []).map((label) => [label, inflect.enumValue(label)])),
  ]));
  return {
    model, options, inflect, scalars: reused?.scalars ?? makeScalars(options), jwtType, types: new Map(), cache: new Map(),
    plan: {
      nodeIdField: options.classicIds ? 'id' : 'nodeId', rowIdentifiers: !!(options.subscriptions || options.simpleSubscriptions || options.live), geometricTypes: !!options.pgGeometricTypes, nodeByAlias: new Map(), aliasByClassId: new Map(), enumNames, inputTypeByClassId: new Map(), inputFieldsByClassId: new Map(), warnings: [] },
    exposedNamespaceIds: new Set(model.namespaces.map((n) => n.id)),
    rowType: () => { throw new Error('rowType not ready'); },
    rowInputType: () => { throw new Error('rowInputType not ready'); },
  };
}

export function parseIdentifier(id: string): [string, string] {
  const parts = id.split('.').map((p) => p.replace(/^"|"$/g, ''));
  if (parts.length !== 2) throw new Error(`Expected "schema.name", got "${id}"`);
  return [parts[0], parts[1]];
}

/**
 * The value made for `kind` and `id` in this build, made on first use. Two-level so that no key
 * string is built per lookup: hashing fresh strings was a visible part of every build.
 */
export function cached<T>(ctx: BuildContext, kind: string, id: string, make: () => T): T {
  let byId = ctx.types.get(kind);
  if (!byId) ctx.types.set(kind, (byId = new Map()));
  const hit = byId.get(id);
  if (hit !== undefined) return hit as T;
  const value = make();
  byId.set(id, value);
  return value;
}

/**
 * Adds `more` to the fields of type `typeName`. Two fields with one name (a column and a
 * computed column, a CRUD mutation and a function) stop the build, as they do in v4, rather than
 * one silently replacing the other.
 */
export function addFields<T>(typeName: string, fields: Record<string, T>, more: Record<string, T>): Record<string, T> {
  for (const name in more) {
    if (name in fields) {
      throw new Error(`A naming conflict has occurred - two entities have tried to define the same key '${name}' on ${typeName}. ` +
        'Rename one of them, or give it another name with a smart comment (@name, @fieldName, @foreignFieldName).');
    }
    fields[name] = more[name];
  }
  return fields;
}

/** Records `value` for `kind` and `id` in this build, over anything held before. */
export function setCached(ctx: BuildContext, kind: string, id: string, value: unknown): void {
  let byId = ctx.types.get(kind);
  if (!byId) ctx.types.set(kind, (byId = new Map()));
  byId.set(id, value);
}

/** What `cached` holds for `kind` and `id`, without making it. */
export function cachedOnly<T>(ctx: BuildContext, kind: string, id = ''): T | undefined {
  return ctx.types.get(kind)?.get(id) as T | undefined;
}

export function omitted(tags: Record<string, unknown>, action: string): boolean {
  const list = omitActions(tags as Tags);
  return list.includes('*') || list.includes(action);
}

/**
 * v4's `--no-ignore-indexes`: a column that leads no index is not filtered or ordered by, and a
 * foreign key whose columns lead no index is not read (as if `@omit`ted).
 */
export function unindexed(ctx: BuildContext, entity: { isIndexed?: boolean }): boolean {
  return ctx.options.ignoreIndexes === false && !entity.isIndexed;
}

/** `@deprecated` text (several tags are joined by lines, as v4 does). */
export function deprecation(tags: Record<string, unknown>): string | undefined {
  const d = tags.deprecated;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return d.map(String).join('\n');
  return undefined;
}

/** Which collection shapes an entity gets: `@simpleCollections` on it, else the global option. */
export function collectionShapes(ctx: BuildContext, ...tagSources: Array<Record<string, unknown>>): { connection: boolean; list: boolean } {
  let mode = ctx.options.simpleCollections ?? 'omit';
  for (const tags of tagSources) {
    const v = tags.simpleCollections;
    if (v === 'omit' || v === 'both' || v === 'only') { mode = v; break; }
  }
  return { connection: mode !== 'only', list: mode !== 'omit' };
}

export function getType(ctx: BuildContext, id: string): PgType {
  const t = ctx.model.typeById.get(id);
  if (!t) throw new Error(`Type ${id} is not in the introspection results`);
  return t;
}

/** The composite class behind a type, if the type is a table's or a composite's row type. */
export function classOfType(ctx: BuildContext, type: PgType): PgClass | null {
  return type.classId ? (ctx.model.classById.get(type.classId) ?? null) : null;
}

export function outputType(ctx: BuildContext, type: PgType): GraphQLOutputType {
  return cached(ctx, 'out', type.id, () => makeOutputType(ctx, type));
}

export function inputType(ctx: BuildContext, type: PgType): GraphQLInputType | null {
  return cached(ctx, 'in', type.id, () => makeInputType(ctx, type));
}

function makeOutputType(ctx: BuildContext, type: PgType): GraphQLOutputType {
  if (ctx.jwtType && type.id === ctx.jwtType.id) {
    const cls = classOfType(ctx, type);
    return jwtScalar(cls ? ctx.inflect.tableType(cls) : ctx.inflect.domainType(type));
  }
  if (type.enumTypeId) return outputType(ctx, getType(ctx, type.enumTypeId));
  const builtin = builtinForOid(type.id, ctx.scalars);
  if (builtin) return builtin.output;
  if (isHstore(ctx, type)) return ctx.scalars.KeyValueHash;
  if (type.type === 'e') return enumType(ctx, type);
  if (type.type === 'r') return rangeTypes(ctx, type).output;
  if (type.type === 'd' && type.domainBaseTypeId) {
    const base = outputType(ctx, getType(ctx, type.domainBaseTypeId));
    if (base instanceof GraphQLScalarType) {
      return new GraphQLScalarType({
        name: ctx.inflect.domainType(type),
        description: type.description ?? undefined,
        serialize: base.serialize, parseValue: base.parseValue, parseLiteral: base.parseLiteral,
      });
    }
    // a domain over a composite type is a type of its own in v4, with the composite's fields
    if (base instanceof GraphQLObjectType && classOfType(ctx, getType(ctx, type.domainBaseTypeId))) {
      return new GraphQLObjectType({
        name: ctx.inflect.domainType(type),
        description: type.description ?? undefined,
        fields: () => base.toConfig().fields,
        extensions: base.extensions,
      });
    }
    return base;
  }
  if (type.isPgArray && type.arrayItemTypeId) {
    return new GraphQLList(outputType(ctx, getType(ctx, type.arrayItemTypeId)));
  }
  const cls = classOfType(ctx, type);
  if (cls) return ctx.rowType(cls);
  if (type.category === 'B') return GraphQLBoolean;
  if (type.category === 'N') return ctx.scalars.BigFloat;
  return GraphQLString;
}

function makeInputType(ctx: BuildContext, type: PgType): GraphQLInputType | null {
  if (ctx.jwtType && type.id === ctx.jwtType.id) return outputType(ctx, type) as GraphQLScalarType;
  if (type.enumTypeId) return inputType(ctx, getType(ctx, type.enumTypeId));
  const builtin = builtinForOid(type.id, ctx.scalars);
  if (builtin) return builtin.input;
  if (isHstore(ctx, type)) return ctx.scalars.KeyValueHash;
  if (type.type === 'r') return rangeTypes(ctx, type).input;
  if (type.type === 'd' && type.domainBaseTypeId) {
    const base = getType(ctx, type.domainBaseTypeId);
    const baseIn = inputType(ctx, base);
    const out = outputType(ctx, type);
    if (baseIn && baseIn !== outputType(ctx, base)) {
      // e.g. a domain over interval: v4 names the input type after the domain's output type.
      return baseIn instanceof GraphQLInputObjectType
        ? new GraphQLInputObjectType({
            name: ctx.inflect.inputType((out as { name: string }).name),
            description: type.description ?? undefined,
            fields: () => baseIn.getFields() as unknown as GraphQLInputFieldConfigMap,
          })
        : baseIn;
    }
    return isInputType(out) ? out : null;
  }
  if (type.isPgArray && type.arrayItemTypeId) {
    const item = inputType(ctx, getType(ctx, type.arrayItemTypeId));
    return item ? new GraphQLList(item) : null;
  }
  const cls = classOfType(ctx, type);
  if (cls) return ctx.rowInputType(cls);
  const out = outputType(ctx, type);
  return isInputType(out) ? out : null;
}

/** The hstore extension's type (v4 maps it to `KeyValueHash`). */
function isHstore(ctx: BuildContext, type: PgType): boolean {
  return type.name === 'hstore' && type.type === 'b'
    && ctx.model.extensions.some((e) => e.name === 'hstore' && e.namespaceId === type.namespaceId);
}

/** Values hold the Postgres label, so coerced inputs reach SQL as labels. */
function enumType(ctx: BuildContext, type: PgType): GraphQLEnumType {
  const names = ctx.plan.enumNames.get(type.id)!;
  return new GraphQLEnumType({
    name: ctx.inflect.enumType(type),
    description: type.description ?? undefined,
    values: Object.fromEntries(
      (type.enumVariants ?? []).map((label, i) => [names.get(label)!, {
        value: label, description: type.enumDescriptions?.[i] ?? undefined,
      }]),
    ),
    extensions: { forumDev: { kind: 'enum', type } },
  });
}

function rangeTypes(ctx: BuildContext, type: PgType) {
  const sub = getType(ctx, type.rangeSubTypeId!);
  const subOut = outputType(ctx, sub) as GraphQLScalarType;
  const subIn = inputType(ctx, sub)!;
  return cached(ctx, 'range', subOut.name, () => {
    const boundDesc = 'One end of a range; whether the value itself belongs to the range is told by `inclusive`.';
    const boundFields = (t: GraphQLOutputType | GraphQLInputType) => ({
      value: { type: new GraphQLNonNull(t as any), description: 'The value at this end of the range.' },
      inclusive: { type: new GraphQLNonNull(GraphQLBoolean), description: 'True when the range includes the value itself.' },
    });
    const Bound = new GraphQLObjectType({
      name: ctx.inflect.rangeBoundType(subOut.name), description: boundDesc,
      fields: boundFields(subOut) as GraphQLFieldConfigMap<unknown, unknown>,
    });
    const BoundInput = new GraphQLInputObjectType({
      name: ctx.inflect.inputType(Bound.name), description: boundDesc,
      fields: boundFields(subIn) as GraphQLInputFieldConfigMap,
    });
    const desc = `A range of \`${subOut.name}\` values.`;
    const output = new GraphQLObjectType({
      name: ctx.inflect.rangeType(subOut.name), description: desc,
      fields: {
        start: { type: Bound, description: 'The lower end of the range; null when unbounded.' },
        end: { type: Bound, description: 'The upper end of the range; null when unbounded.' },
      },
      extensions: { forumDev: { kind: 'range', type } },
    });
    const input = new GraphQLInputObjectType({
      name: ctx.inflect.inputType(output.name), description: desc,
      fields: {
        start: { type: BoundInput, description: 'The lower end of the range; null when unbounded.' },
        end: { type: BoundInput, description: 'The upper end of the range; null when unbounded.' },
      },
    });
    return { output, input };
  });
}

export const nonNull = <T extends GraphQLOutputType | GraphQLInputType>(t: T, yes: boolean) =>
  (yes ? new GraphQLNonNull(t as any) : t) as T;
