// Rebuilding only what a change touched. graphql-js types are immutable objects that point at
// each other, so a type of the previous schema can be served again only if everything it points
// at is served again too: the unit of reuse is a group of classes connected by foreign keys,
// column types and functions. A change to one class rebuilds its whole group; everything else
// that depends only on unchanged rows (row types, connections, order and condition types,
// inputs of the other groups, scalars, enums, domains) is taken from the previous build.
// Query, Mutation and the payloads (which point at Query) are always new objects; where a field's
// config is unchanged they take the field made last build again (assemble.ts).
//
// Anything this cannot vouch for (other options, changed types, functions, namespaces or
// extensions, the JWT type, the connection filter, warnings) means a full build; and the
// snapshot falls back to a full build if the reusing one fails in any way.
import { GraphQLEnumType, GraphQLScalarType, getNamedType, isSpecifiedScalarType, validateSchema, type GraphQLError, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import type { Model, PgClass, PgType } from '../introspection/model';
import { setCached, type BuildContext, type SchemaOptions } from './context';
import type { PayloadFields, TableMutations } from './mutations';
import type { TableQueryFields } from './build';
import type { SchemaPlan } from './plans';
import type { Scalars } from './scalars';
import type { Inflection } from './inflection';
import { isTable } from './tables';
import type { TypeReferences } from './assemble';

/** What a build leaves for the next one to reuse (held by its snapshot, read-only). */
export interface BuildMemo {
  readonly model: Model;
  readonly options: SchemaOptions;
  readonly schema: GraphQLSchema;
  readonly scalars: Scalars;
  readonly inflect: Inflection;
  readonly types: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  readonly warnings: number;
  readonly signatures: Signatures;
  /** Each type's references, for assembling the schema (assemble.ts). */
  readonly references: TypeReferences;
}

/** A model in the pieces reuse compares (the model's own objects, nothing copied). */
export interface Signatures {
  /** Everything but the classes: namespaces, extensions, functions, types no class owns. */
  environment: unknown[];
  /** Per class id: its row with columns and constraints, and the types it owns. */
  classes: Map<string, unknown[]>;
}

/** How much of the previous build one build reused (tests check it is not nothing). */
export interface ReuseStats {
  classes: number;
  reusedClasses: number;
  reusedTypes: number;
}

/** Types a class owns: its row type and that type's array. */
function ownerOf(model: Model, t: PgType): string | null {
  if (t.classId) return t.classId;
  const item = t.isPgArray && t.arrayItemTypeId ? model.typeById.get(t.arrayItemTypeId) : undefined;
  return item?.classId ?? null;
}

export function signatures(model: Model): Signatures {
  const classes = new Map<string, unknown[]>();
  for (const c of model.classes) classes.set(c.id, [c]);
  const free: PgType[] = [];
  for (const t of model.types) {
    const owner = ownerOf(model, t);
    const parts = owner === null ? undefined : classes.get(owner);
    if (parts) parts.push(t);
    else free.push(t);
  }
  return { environment: [model.serverVersionNum, model.namespaces, model.extensions, model.procs, free], classes };
}

/** Deep equality of the model's plain data (what JSON would say: objects, arrays, scalars). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // for…in rather than Object.keys: no arrays made for the thousands of objects compared
  let keys = 0;
  for (const k in a) {
    keys++;
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  for (const _ in b) keys--;
  return keys === 0;
}

/** The classes a type stands for or is made of (through arrays, domains, ranges, enum domains). */
function classesOfType(model: Model, typeId: string, out: string[] = [], depth = 0): string[] {
  const t = model.typeById.get(typeId);
  if (!t || depth > 20) return out;
  if (t.classId) out.push(t.classId);
  for (const next of [t.arrayItemTypeId, t.domainBaseTypeId, t.enumTypeId, t.rangeSubTypeId]) {
    if (next) classesOfType(model, next, out, depth + 1);
  }
  return out;
}

/** Which classes' GraphQL types can point at each other's: keys, column types, functions. */
function addEdges(model: Model, edges: Map<string, Set<string>>): void {
  const link = (a: string, b: string) => {
    if (a === b) return;
    for (const [x, y] of [[a, b], [b, a]]) {
      const set = edges.get(x);
      if (set) set.add(y);
      else edges.set(x, new Set([y]));
    }
  };
  for (const c of model.classes) {
    for (const con of c.constraints) if (con.foreignClassId) link(c.id, con.foreignClassId);
    for (const a of c.attributes) for (const other of classesOfType(model, a.typeId)) link(c.id, other);
  }
  for (const p of model.procs) {
    const ids = [p.returnTypeId, ...p.argTypeIds].flatMap((id) => classesOfType(model, id));
    for (let i = 1; i < ids.length; i++) link(ids[0], ids[i]);
  }
}

/**
 * The classes of `model` whose GraphQL types the previous build made exactly as this one would:
 * unchanged themselves and connected (before or after the change) to no changed class.
 */
export function unchangedClasses(prev: BuildMemo, model: Model, sigs: Signatures): Set<string> {
  const dirty = new Set<string>();
  for (const [id, parts] of sigs.classes) if (!sameData(prev.signatures.classes.get(id), parts)) dirty.add(id);
  for (const id of prev.signatures.classes.keys()) if (!sigs.classes.has(id)) dirty.add(id);
  const edges = new Map<string, Set<string>>();
  addEdges(prev.model, edges);
  addEdges(model, edges);
  const stack = [...dirty];
  while (stack.length) {
    for (const next of edges.get(stack.pop()!) ?? []) {
      if (!dirty.has(next)) {
        dirty.add(next);
        stack.push(next);
      }
    }
  }
  return new Set(model.classes.filter((c) => !dirty.has(c.id)).map((c) => c.id));
}

/** Whether a build from `model` and `options` may reuse `prev` at all. */
export function mayReuse(prev: BuildMemo | undefined, options: SchemaOptions, sigs: Signatures): prev is BuildMemo {
  return !!prev && prev.options === options && prev.warnings === 0 && sameData(prev.signatures.environment, sigs.environment)
    && !options.jwtTokenIdentifier && !options.connectionFilter;
}

/**
 * Puts the previous model's objects into `model` wherever they are equal: the unchanged classes
 * (with their columns, constraints and row types) and, when equal, everything else reuse
 * compares. Reused types' plans then point at the served model's own objects, names remembered
 * per object (the inflection) carry over, and the next comparison finds them identical at once.
 * Returns the signatures of the model as it now is.
 */
export function adoptUnchanged(model: Model, prev: BuildMemo, clean: Set<string>): Signatures {
  const classes = new Map<string, PgClass>();
  const types = new Map<string, PgType>();
  for (const id of clean) {
    // equal, so alike in shape: the class, then the types it owns in one order
    const [cls, ...owned] = prev.signatures.classes.get(id) as [PgClass, ...PgType[]];
    classes.set(id, cls);
    for (const t of owned) types.set(t.id, t);
  }
  // `mayReuse` found the rest equal
  for (const t of prev.signatures.environment[4] as PgType[]) types.set(t.id, t);
  model.classes = model.classes.map((c) => classes.get(c.id) ?? c);
  for (const c of model.classes) model.classById.set(c.id, c);
  model.types = model.types.map((t) => types.get(t.id) ?? t);
  for (const t of model.types) model.typeById.set(t.id, t);
  model.namespaces = prev.model.namespaces;
  model.extensions = prev.model.extensions;
  model.procs = prev.model.procs;
  return signatures(model);
}

/**
 * Kinds made for one class that point only at their group's types, by class id (or
 * `<class id>/<n>` for one of several).
 */
const PER_CLASS = new Set(['row', 'rowInput', 'patch', 'baseInput', 'orderBy', 'condition', 'createInput', 'updateInput', 'deleteInput']);

const classIdOf = (id: string): string => {
  const slash = id.indexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
};

/**
 * Puts into `ctx` the previous build's types that this build would make identically, and
 * records in the plan what making them would have recorded. Only types the previous schema
 * served are taken: their fields are resolved, so nothing of the old build runs again.
 */
export function seedFromPrevious(ctx: BuildContext, prev: BuildMemo, clean: Set<string>): { stats: ReuseStats; types: Set<unknown> } {
  const types = new Set<unknown>();
  const served = (v: unknown): boolean => v === null
    || (typeof v === 'object' && prev.schema.getType((v as GraphQLNamedType).name) === v);
  const plainIds = new Map<string, boolean>();
  const plain = (typeId: string) => {
    let yes = plainIds.get(typeId);
    if (yes === undefined) plainIds.set(typeId, (yes = ctx.model.typeById.has(typeId) && classesOfType(ctx.model, typeId).length === 0));
    return yes;
  };
  /** Whether the value made for `kind`/`id` is taken; what it adds to the reused types. */
  const reusable = (kind: string, id: string, value: unknown): boolean => {
    if (PER_CLASS.has(kind)) return clean.has(classIdOf(id)) && served(value);
    switch (kind) {
      case 'Node': case 'PageInfo': return served(value);
      case 'conn': return connectionOfUnchanged(value, clean) && served(value);
      case 'range': {
        const r = value as { output: GraphQLNamedType; input: GraphQLNamedType };
        return served(r.output) && served(r.input);
      }
      // Wrappers (lists of scalars) are never named; a plain type's named part must be served.
      case 'out': case 'in': {
        const named = value === null ? null : getNamedType(value as GraphQLNamedType);
        return plain(id) && (!named || served(named) || isSpecifiedScalarType(named));
      }
      default: return false;
    }
  };
  let reusedTypes = 0;
  for (const [kind, byId] of prev.types) {
    for (const [id, value] of byId) {
      // a payload's field configs and a table's mutation fields (mutations.ts), not types: taken
      // if the payloads they were made with were served
      if (kind === 'payloadFields' || kind === 'tableMutations') {
        const payloads = kind === 'payloadFields' ? [(value as PayloadFields).type] : Object.values((value as TableMutations).payloads);
        if (clean.has(classIdOf(id)) && payloads.every(served)) setCached(ctx, kind, id, value);
        continue;
      }
      // a table's Query fields (build.ts), taken if every type they point at was served
      if (kind === 'queryFields') {
        const q = value as TableQueryFields;
        const named = [...q.all, ...q.keys, ...q.node].flatMap(([, f]) => [f.type, ...Object.values(f.args ?? {}).map((a) => a.type)])
          .map((t) => getNamedType(t as GraphQLNamedType));
        if (clean.has(id) && named.every((t) => served(t) || isSpecifiedScalarType(t))) setCached(ctx, kind, id, value);
        continue;
      }
      if (!reusable(kind, id, value)) continue;
      setCached(ctx, kind, id, value);
      if (value === null) continue;
      reusedTypes++;
      if (kind !== 'range') types.add(value);
      else types.add((value as { output: unknown }).output).add((value as { input: unknown }).input);
    }
  }
  // What making the reused row and input types records in the plan (aliases: the previous ones),
  // and what build.ts records of a reused input type's fields (the same type: the same fields).
  const prevPlan = prev.schema.extensions.forumDev as SchemaPlan;
  const prevAliases = prevPlan.aliasByClassId;
  const rows = ctx.types.get('row');
  const inputs = ctx.types.get('rowInput');
  for (const id of clean) {
    const cls = ctx.model.classById.get(id)!;
    if (rows?.has(id) && isTable(cls)) ctx.plan.aliasByClassId.set(id, prevAliases.get(id) ?? ctx.inflect.nodeAlias(cls));
    const input = inputs?.get(id) as GraphQLNamedType | null | undefined;
    if (!input) continue;
    ctx.plan.inputTypeByClassId.set(id, input.name);
    const fields = prevPlan.inputFieldsByClassId.get(id);
    if (fields) ctx.plan.inputFieldsByClassId.set(id, fields);
  }
  return { stats: { classes: ctx.model.classes.length, reusedClasses: clean.size, reusedTypes }, types };
}

/**
 * graphql-js's validation of `schema`, over the types it holds that are not in `reused`. The
 * reused ones passed it in the previous schema and point only at reused types, so their
 * verdict cannot have changed; the new ones are checked against the whole schema (interfaces,
 * input cycles through reused types). The view is a fresh object: `schema` is left as it is.
 */
export function validateNewTypes(schema: GraphQLSchema, reused: ReadonlySet<unknown>): readonly GraphQLError[] {
  const all = schema.getTypeMap();
  const fresh: Record<string, GraphQLNamedType> = Object.create(null);
  for (const name in all) if (!reused.has(all[name])) fresh[name] = all[name];
  const view = Object.create(schema, {
    getTypeMap: { value: () => fresh },
    // graphql-js keeps its verdict on the schema it validated: here, on the view
    __validationErrors: { value: undefined, writable: true },
  }) as GraphQLSchema;
  return validateSchema(view);
}


/** A connection of an unchanged class's rows, or of scalars or enums (which no change reaches). */
function connectionOfUnchanged(value: unknown, clean: Set<string>): boolean {
  const conn = value as { extensions: { forumDev?: { connection?: { table: PgClass | null } } }; getFields(): Record<string, { type: unknown }> };
  const table = conn.extensions.forumDev?.connection?.table;
  if (table) return clean.has(table.id);
  const node = getNamedType(conn.getFields().nodes.type as GraphQLNamedType);
  return node instanceof GraphQLScalarType || node instanceof GraphQLEnumType;
}
