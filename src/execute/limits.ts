// Bounds on the work one GraphQL document may ask for, checked in one place before any SQL runs:
// document length, depth, aliases, root fields, introspection, `first`/`last` and an estimated
// cost. HTTP, WebSocket queries and subscriptions (listen, live) all pass through here. Each
// error names the limit and the flag that raises it.
import {
  GraphQLError, Kind, SchemaMetaFieldDef, TypeMetaFieldDef, getNamedType, getNullableType, isListType, isObjectType, isInterfaceType,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode,
} from 'graphql';

export interface Limits {
  /** Longest query text in characters (0: no limit). */
  maxDocumentLength: number;
  /** Deepest field nesting, root fields being 1 (0: no limit). */
  maxQueryDepth: number;
  /** Largest estimated cost: fields weighted by the rows their lists may hold (0: no limit). */
  maxQueryCost: number;
  /** Largest `first`/`last` argument (0: no limit). */
  maxPageSize: number;
  /** Most aliased fields in one operation, fragments expanded (0: no limit). */
  maxAliases: number;
  /** Most root fields in one operation, fragments expanded (0: no limit). */
  maxRootFields: number;
  /** Refuse `__schema` and `__type` (production); `__typename` stays. */
  disableIntrospection: boolean;
}

/**
 * Generous enough that the queries of an app moving from v4 (which has no such limits) pass:
 * three levels of unpaged connections, pages of thousands of rows, a hundred-odd aliases (v4's
 * own test queries and ours are checked against them); tighten them with the flags.
 */
export const defaultLimits: Limits = {
  maxDocumentLength: 100_000,
  maxQueryDepth: 20,
  maxQueryCost: 10_000_000,
  maxPageSize: 100_000,
  maxAliases: 1000,
  maxRootFields: 500,
  disableIntrospection: false,
};

/** Rows a list without `first`/`last` is assumed to hold when estimating cost. */
const UNBOUNDED_ROWS = 100;
/** Entries any other list (an array column, introspection's types, fields, args) is assumed to hold. */
const SHORT_LIST_ROWS = 10;

const FLAGS: Record<keyof Limits, string> = {
  maxDocumentLength: '--max-document-length',
  maxQueryDepth: '--max-query-depth',
  maxQueryCost: '--max-query-cost',
  maxPageSize: '--max-page-size',
  maxAliases: '--max-aliases',
  maxRootFields: '--max-root-fields',
  disableIntrospection: '--disable-introspection',
};

function limitError(limit: keyof Limits, message: string, node?: FieldNode): GraphQLError {
  return new GraphQLError(message, {
    nodes: node ? [node] : undefined,
    extensions: { code: 'LIMIT_EXCEEDED', limit, flag: FLAGS[limit] },
  });
}

const raise = (limit: keyof Limits, max: number) => `raise it with ${FLAGS[limit]} (now ${max})`;

/** The query text's length, before it is parsed. */
export function checkDocumentLength(query: string, limits: Limits): GraphQLError[] {
  const max = limits.maxDocumentLength;
  if (!max || query.length <= max) return [];
  return [limitError('maxDocumentLength', `The query is ${query.length} characters long, over the limit of ${max}; send a shorter document or ${raise('maxDocumentLength', max)}.`)];
}

/** Thrown inside the walk to stop at the first limit exceeded (the walk may be exponential). */
class Stop {
  constructor(readonly error: GraphQLError) {}
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown> | undefined;
  limits: Limits;
  cost: number;
  aliases: number;
  /** A `first` or `last` came from a variable (seen when the variables are not known yet). */
  pagedByVariable: boolean;
}

/**
 * Every limit of one operation. `variables` are the coerced values; without them (before
 * coercion) `first`/`last` given by variables are not checked. Fragment cycles are cut here even
 * when validation has not run yet.
 */
export function checkOperation(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined, limits: Limits, pagedByVariables?: Set<OperationDefinitionNode>,
): GraphQLError[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = operation.operation === 'mutation' ? schema.getMutationType()
    : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  const w: Walk = { schema, fragments, variables, limits, cost: 0, aliases: 0, pagedByVariable: false };
  try {
    const rootFields = countRootFields(operation.selectionSet, fragments, limits);
    if (limits.maxRootFields && rootFields > limits.maxRootFields) {
      throw new Stop(limitError('maxRootFields', `The operation has ${rootFields} root fields, over the limit of ${limits.maxRootFields}; split it into several requests or ${raise('maxRootFields', limits.maxRootFields)}.`));
    }
    walk(w, operation.selectionSet, root ?? undefined, 1, 1, undefined, new Set());
    if (w.pagedByVariable) pagedByVariables?.add(operation);
  } catch (e) {
    if (e instanceof Stop) return [e.error];
    throw e;
  }
  return [];
}

/**
 * The limits of one request's operation, given its variables. Only `first`/`last` given by
 * variables can differ from what the document's check decided, so only an operation the
 * document's check found taking them from variables (`pagedByVariables`) is walked again.
 */
export function checkRequest(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
  variables: Record<string, unknown>, limits: Limits, pagedByVariables: ReadonlySet<OperationDefinitionNode>,
): GraphQLError[] {
  return pagedByVariables.has(operation) ? checkOperation(schema, document, operation, variables, limits) : [];
}

/**
 * Every operation of a document (variables unknown yet): the checks that need no values. Adds
 * to `pagedByVariables` each operation that takes a `first` or `last` from a variable.
 */
export function checkDocument(
  schema: GraphQLSchema, document: DocumentNode, limits: Limits, pagedByVariables?: Set<OperationDefinitionNode>,
): GraphQLError[] {
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const errors = checkOperation(schema, document, d, undefined, limits, pagedByVariables);
    if (errors.length) return errors;
  }
  return [];
}

function countRootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, limits: Limits, seen = new Set<string>()): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) n++;
    else if (s.kind === Kind.INLINE_FRAGMENT) n += countRootFields(s.selectionSet, fragments, limits, seen);
    else {
      const f = fragments.get(s.name.value);
      if (!f || seen.has(f.name.value)) continue;
      n += countRootFields(f.selectionSet, fragments, limits, new Set(seen).add(f.name.value));
    }
    // an exponential fragment fan-out stops as soon as it is over
    if (limits.maxRootFields && n > limits.maxRootFields) return n;
  }
  return n;
}

function walk(
  w: Walk, set: SelectionSetNode, parent: GraphQLNamedType | undefined, depth: number, rows: number,
  pageSize: number | undefined, active: Set<string>,
): void {
  for (const s of set.selections) {
    if (s.kind === Kind.INLINE_FRAGMENT) {
      const cond = s.typeCondition ? w.schema.getType(s.typeCondition.name.value) ?? parent : parent;
      walk(w, s.selectionSet, cond, depth, rows, pageSize, active);
    } else if (s.kind === Kind.FRAGMENT_SPREAD) {
      const f = w.fragments.get(s.name.value);
      if (!f || active.has(f.name.value)) continue; // a cycle: validation reports it
      active.add(f.name.value);
      walk(w, f.selectionSet, w.schema.getType(f.typeCondition.name.value) ?? parent, depth, rows, pageSize, active);
      active.delete(f.name.value);
    } else {
      field(w, s, parent, depth, rows, pageSize, active);
    }
  }
}

function field(
  w: Walk, node: FieldNode, parent: GraphQLNamedType | undefined, depth: number, rows: number,
  pageSize: number | undefined, active: Set<string>,
): void {
  const { limits } = w;
  const name = node.name.value;
  if (limits.maxQueryDepth && depth > limits.maxQueryDepth) {
    throw new Stop(limitError('maxQueryDepth', `The query is nested more than ${limits.maxQueryDepth} levels deep (at \`${name}\`); flatten it or ${raise('maxQueryDepth', limits.maxQueryDepth)}.`, node));
  }
  if (limits.disableIntrospection && (name === '__schema' || name === '__type')) {
    throw new Stop(limitError('disableIntrospection', `Introspection is disabled on this server (\`${name}\`); it is turned off by --disable-introspection.`, node));
  }
  if (node.alias && node.alias.value !== name && limits.maxAliases && ++w.aliases > limits.maxAliases) {
    throw new Stop(limitError('maxAliases', `The operation uses more than ${limits.maxAliases} aliases; ask for fewer fields or ${raise('maxAliases', limits.maxAliases)}.`, node));
  }
  w.cost += Math.max(rows, 1);
  if (limits.maxQueryCost && w.cost > limits.maxQueryCost) {
    throw new Stop(limitError('maxQueryCost', `The query's estimated cost is over the limit of ${limits.maxQueryCost} (each field counts once per row it may be read for; a connection without first/last counts as ${UNBOUNDED_ROWS} rows, an array as ${SHORT_LIST_ROWS}); ask for fewer rows or fields or ${raise('maxQueryCost', limits.maxQueryCost)}.`, node));
  }
  if (!node.selectionSet) return;
  const def: GraphQLField<unknown, unknown> | undefined = name === '__schema' ? SchemaMetaFieldDef
    : name === '__type' ? TypeMetaFieldDef
    : parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
  // A paged field (a connection, or a list with first/last) holds its page; a list inside a
  // connection (nodes, edges) holds the connection's page; any other list (an array column,
  // introspection's types and fields) is assumed short.
  const paged = !!def?.args.some((a) => a.name === 'first' || a.name === 'last');
  let page = pageArgument(w, node) ?? (paged ? UNBOUNDED_ROWS : pageSize);
  let childRows = rows;
  // (an unknown field is left to validation: it counts once and multiplies nothing)
  if (def && isListType(getNullableType(def.type))) {
    childRows = rows * (page ?? SHORT_LIST_ROWS);
    page = undefined;
  } else if (!def || !isConnection(getNamedType(def.type))) {
    page = undefined;
  }
  const type = def ? getNamedType(def.type) : undefined;
  walk(w, node.selectionSet, type, depth + 1, childRows, page, active);
}

function isConnection(type: GraphQLNamedType): boolean {
  return isObjectType(type) && 'pageInfo' in type.getFields() && ('nodes' in type.getFields() || 'edges' in type.getFields());
}

/** The field's `first` or `last` (the larger), checked against maxPageSize. */
function pageArgument(w: Walk, node: FieldNode): number | undefined {
  let page: number | undefined;
  for (const arg of node.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    // Before variables are known (the per-document check) a variable page counts as one row:
    // the check with the request's values comes later and decides.
    if (arg.value.kind === Kind.VARIABLE && w.variables === undefined) {
      w.pagedByVariable = true;
      page = Math.max(page ?? 0, 1);
      continue;
    }
    const value = argumentValue(arg.value, w.variables);
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const max = w.limits.maxPageSize;
    if (max && value > max) {
      throw new Stop(limitError('maxPageSize', `\`${arg.name.value}: ${value}\` on \`${node.name.value}\` is over the largest page of ${max} rows; page through with cursors or ${raise('maxPageSize', max)}.`, node));
    }
    page = Math.max(page ?? 0, value);
  }
  return page;
}

function argumentValue(value: ValueNode, variables: Record<string, unknown> | undefined): unknown {
  if (value.kind === Kind.INT || value.kind === Kind.FLOAT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) return variables?.[value.name.value];
  return undefined;
}
