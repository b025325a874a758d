// Parsed and validated documents, and the statements compiled from them, cached per server for
// the schema generation being served: a new generation starts an empty cache, so nothing
// compiled against an older schema is ever reused.
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { checkDocument, checkDocumentLength, defaultLimits, type Limits } from './limits';
import { createTemplates, type Templates } from './templates';
import { validateDocument } from './validation';

const MAX_DOCUMENTS = 500;
const MAX_PLANS = 20;

export interface PreparedDocument {
  document: DocumentNode;
  errors: readonly GraphQLError[];
  /** Compiled statements of this document, by operation and variable values (bounded). */
  plans: Map<string, unknown>;
  /** Statement templates of this document's queries, for variables that are only bound. */
  templates: Templates;
  /** Its operations that take a `first` or `last` from a variable (see checkRequest). */
  pagedByVariables: ReadonlySet<OperationDefinitionNode>;
}

export interface DocumentCache {
  /** Parsed, checked against the limits (before validation, which costs more) and validated. */
  prepare(generation: number, schema: GraphQLSchema, query: string): PreparedDocument;
  /** The server's limits; `first`/`last` from variables are checked per request with them. */
  readonly limits: Limits;
}

export function createDocumentCache(limits: Limits = defaultLimits): DocumentCache {
  let generation = -1;
  let documents = new Map<string, PreparedDocument>();
  const parseAndValidate = (schema: GraphQLSchema, query: string) => prepareDocument(schema, query, limits);
  return {
    limits,
    prepare(gen, schema, query) {
      if (gen !== generation) {
        // A request still finishing on an older generation must not refill the cache.
        if (gen < generation) return parseAndValidate(schema, query);
        generation = gen;
        documents = new Map();
      }
      const hit = documents.get(query);
      if (hit) {
        documents.delete(query);
        documents.set(query, hit);
        return hit;
      }
      const prepared = parseAndValidate(schema, query);
      documents.set(query, prepared);
      if (documents.size > MAX_DOCUMENTS) documents.delete(documents.keys().next().value as string);
      return prepared;
    },
  };
}

function prepareDocument(schema: GraphQLSchema, query: string, limits: Limits): PreparedDocument {
  const tooLong = checkDocumentLength(query, limits);
  const unusable = (errors: readonly GraphQLError[]) => ({
    document: null as unknown as DocumentNode, errors, plans: new Map(), templates: createTemplates(), pagedByVariables: new Set<OperationDefinitionNode>(),
  });
  if (tooLong.length) return unusable(tooLong);
  try {
    const document = parse(query);
    const pagedByVariables = new Set<OperationDefinitionNode>();
    const over = checkDocument(schema, document, limits, pagedByVariables);
    return { document, errors: over.length ? over : validateDocument(schema, document), plans: new Map(), templates: createTemplates(), pagedByVariables };
  } catch (e) {
    return unusable([asGraphQLError(e)]);
  }
}

/**
 * Every failure to read a document as a GraphQL error, which both transports know how to send:
 * the parser recurses, so a document nested a few thousand levels deep overflows the stack.
 */
export function asGraphQLError(e: unknown): GraphQLError {
  if (e instanceof GraphQLError) return e;
  if (e instanceof RangeError) return new GraphQLError('The document is nested too deeply to be processed; flatten it (fewer nested selections, lists or values).');
  return new GraphQLError(`The document could not be processed: ${(e as Error)?.message ?? String(e)}`);
}

/** A plan from the document's cache, or `compile()` stored there (oldest evicted first). */
export function cachedPlan<T>(prepared: PreparedDocument, key: string, compile: () => T): T {
  const hit = prepared.plans.get(key);
  if (hit) return hit as T;
  const plan = compile();
  if (prepared.plans.size >= MAX_PLANS) prepared.plans.delete(prepared.plans.keys().next().value as string);
  prepared.plans.set(key, plan);
  return plan;
}
