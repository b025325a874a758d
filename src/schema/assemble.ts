// Makes the GraphQLSchema object from the root types. graphql-js's constructor finds every type
// by walking every field and argument of every type; on a 300-table schema that walk was about
// 40% of a watch-mode reload, though a reload makes only a few dozen types anew. Here each
// named type's direct references are listed once and kept (graphql-js types never change once
// their fields are resolved), so a reload walks short lists for the types it reused. The walk
// visits types in the constructor's own order, so the type map, and with it introspection and
// the printed schema, come out the same; the test compares the two.
import {
  GraphQLInputObjectType, GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema,
  GraphQLString, GraphQLUnionType, __Schema,
  type GraphQLField, type GraphQLFieldConfig, type GraphQLFieldConfigMap, type GraphQLFieldMap, type GraphQLNamedType,
  type GraphQLObjectTypeConfig, type GraphQLSchemaConfig, type GraphQLType,
} from 'graphql';

/** Per named type, the named types its interfaces, fields and arguments point at, in walk order. */
export type TypeReferences = WeakMap<GraphQLNamedType, readonly GraphQLNamedType[]>;

export function typeReferences(): TypeReferences {
  return new WeakMap();
}

type Roots = Pick<GraphQLSchemaConfig, 'query' | 'mutation' | 'subscription' | 'extensions' | 'assumeValid'>;

/** A schema as `new GraphQLSchema(roots)` makes it, found through (and adding to) `refs`. */
export function assembleSchema(roots: Roots, refs: TypeReferences): GraphQLSchema {
  if (!internalsKnown()) return new GraphQLSchema(roots);
  // graphql-js sets everything but the walk's results, from a config with nothing to walk
  const schema = new GraphQLSchema({ extensions: roots.extensions, assumeValid: roots.assumeValid, types: [] });
  const found = new Set<GraphQLNamedType>();
  for (const root of [roots.query, roots.mutation, roots.subscription]) if (root) visit(root, found, refs);
  for (const directive of schema.getDirectives()) for (const arg of directive.args) visit(namedOf(arg.type), found, refs);
  visit(__Schema, found, refs);

  const typeMap: Record<string, GraphQLNamedType> = Object.create(null);
  const implementations: Record<string, { objects: GraphQLObjectType[]; interfaces: GraphQLInterfaceType[] }> = Object.create(null);
  for (const type of found) {
    if (typeMap[type.name] !== undefined) {
      throw new Error(`Schema must contain uniquely named types but contains multiple types named "${type.name}".`);
    }
    typeMap[type.name] = type;
    if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType)) continue;
    for (const iface of type.getInterfaces()) {
      const entry = (implementations[iface.name] ??= { objects: [], interfaces: [] });
      if (type instanceof GraphQLObjectType) entry.objects.push(type);
      else entry.interfaces.push(type);
    }
  }
  const internal = schema as unknown as Internals;
  internal._queryType = roots.query ?? undefined;
  internal._mutationType = roots.mutation ?? undefined;
  internal._subscriptionType = roots.subscription ?? undefined;
  internal._typeMap = typeMap;
  internal._subTypeMap = Object.create(null);
  internal._implementationsMap = implementations;
  return schema;
}

/**
 * Gives `type` these fields (or a function making them when first asked for), made already,
 * instead of making them from its config: for a type that is another build's type again but for
 * some fields. Returns false (and `type` makes its fields from its config) if this graphql-js
 * keeps them elsewhere.
 */
function presetFields(type: GraphQLObjectType, fields: GraphQLFieldMap<unknown, unknown> | (() => GraphQLFieldMap<unknown, unknown>)): boolean {
  if (!internalsKnown()) return false;
  (type as unknown as { _fields: unknown })._fields = fields;
  return true;
}

/** An object type's field configs and the fields graphql-js made of them, for the next build. */
export interface MadeFields {
  configs: GraphQLFieldConfigMap<unknown, unknown>;
  fields: GraphQLFieldMap<unknown, unknown>;
}

/**
 * An object type (Query, Mutation: a new one each build, with hundreds of fields) whose fields,
 * when first asked for, take `previous`'s made field wherever the config is the one made from
 * last time, or the same but for its type (a payload made again); graphql-js makes the others.
 * `keep` gets what was made, for the next build.
 */
export function objectTypeAgain(config: GraphQLObjectTypeConfig<unknown, unknown>, previous: MadeFields | undefined, keep: (made: MadeFields) => void): GraphQLObjectType {
  const type = new GraphQLObjectType(config);
  presetFields(type, () => {
    const configs = typeof config.fields === 'function' ? config.fields() : config.fields;
    const fields = fieldsAgain(config.name, configs, previous);
    keep({ configs, fields });
    return fields;
  });
  return type;
}

function fieldsAgain(name: string, configs: GraphQLFieldConfigMap<unknown, unknown>, previous: MadeFields | undefined): GraphQLFieldMap<unknown, unknown> {
  const again: Record<string, GraphQLField<unknown, unknown>> = Object.create(null);
  const rest: GraphQLFieldConfigMap<unknown, unknown> = {};
  let fresh = 0;
  for (const key in configs) {
    const config = configs[key];
    const before = previous?.configs[key];
    const made = previous?.fields[key];
    if (config === before && made) again[key] = made;
    else if (before && made && sameButType(config, before)) again[key] = { ...made, type: config.type };
    else {
      rest[key] = config;
      fresh++;
    }
  }
  // graphql-js makes the new ones (names checked, arguments made) as it makes any type's
  const made = fresh ? new GraphQLObjectType({ name, fields: rest }).getFields() : again;
  const fields: GraphQLFieldMap<unknown, unknown> = Object.create(null);
  for (const key in configs) fields[key] = again[key] ?? made[key];
  return fields;
}

/** Configs alike in every property (the same values) but `type`. */
function sameButType(config: GraphQLFieldConfig<unknown, unknown>, before: GraphQLFieldConfig<unknown, unknown>): boolean {
  const [a, b] = [config as unknown as Record<string, unknown>, before as unknown as Record<string, unknown>];
  let keys = 0;
  for (const k in a) {
    keys++;
    if (k !== 'type' && a[k] !== b[k]) return false;
  }
  for (const _ in b) keys--;
  return keys === 0;
}

/** The fields graphql-js's constructor fills from its walk (graphql 16). */
interface Internals {
  _queryType: unknown;
  _mutationType: unknown;
  _subscriptionType: unknown;
  _typeMap: unknown;
  _subTypeMap: unknown;
  _implementationsMap: unknown;
}

let known: boolean | undefined;

/**
 * Whether this graphql-js keeps the walk's results where assembleSchema puts them: checked once
 * on a small schema. If not (another major version), the constructor is used as it is.
 */
function internalsKnown(): boolean {
  if (known !== undefined) return known;
  const Query = new GraphQLObjectType({ name: 'Query', fields: { a: { type: GraphQLString } } });
  const probe = new GraphQLSchema({ query: Query }) as unknown as Record<string, unknown>;
  const typeMap = probe._typeMap as Record<string, unknown> | undefined;
  known = probe._queryType === Query && probe._mutationType === undefined && probe._subscriptionType === undefined
    && typeof typeMap === 'object' && typeMap?.Query === Query && typeMap?.__Schema === __Schema
    && typeof probe._subTypeMap === 'object' && typeof probe._implementationsMap === 'object';
  // and an object type's fields: a thunk until asked for, then the map getFields answers with
  const Other = new GraphQLObjectType({ name: 'Other', fields: { a: { type: GraphQLString } } });
  const fields = (Other as unknown as { _fields: unknown })._fields;
  known &&= typeof fields === 'function' && Other.getFields() === (Other as unknown as { _fields: unknown })._fields;
  return known;
}

function namedOf(type: GraphQLType): GraphQLNamedType {
  let t = type;
  while (t instanceof GraphQLList || t instanceof GraphQLNonNull) t = t.ofType;
  return t as GraphQLNamedType;
}

/**
 * Adds `type` and everything it points at to `found`, in the constructor's order (interfaces,
 * then each field's type and its arguments' types, each followed at once). A type's fields are
 * resolved at the same moment as in the constructor, so the build's thunks run in its order.
 */
function visit(type: GraphQLNamedType, found: Set<GraphQLNamedType>, refs: TypeReferences): void {
  if (found.has(type)) return;
  found.add(type);
  const kept = refs.get(type);
  if (kept) {
    for (let i = 0; i < kept.length; i++) visit(kept[i], found, refs);
    return;
  }
  const list: GraphQLNamedType[] = [];
  if (type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType) {
    for (const iface of type.getInterfaces()) {
      list.push(iface);
      visit(iface, found, refs);
    }
    const fields = type.getFields();
    for (const name in fields) {
      const field = fields[name];
      const named = namedOf(field.type);
      list.push(named);
      visit(named, found, refs);
      for (const arg of field.args) {
        const argType = namedOf(arg.type);
        list.push(argType);
        visit(argType, found, refs);
      }
    }
  } else if (type instanceof GraphQLInputObjectType) {
    const fields = type.getFields();
    for (const name in fields) {
      const named = namedOf(fields[name].type);
      list.push(named);
      visit(named, found, refs);
    }
  } else if (type instanceof GraphQLUnionType) {
    for (const member of type.getTypes()) {
      list.push(member);
      visit(member, found, refs);
    }
  }
  // Kept without repeats: Query's and Mutation's lists name each argument type once per field.
  refs.set(type, list.length > 8 ? [...new Set(list)] : list);
}
