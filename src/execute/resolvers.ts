// Resolvers for callers that execute the schema with graphql-js themselves (v4's
// `createPostGraphileSchema` + `graphql({ schema, source, contextValue: { pgClient } })`). The
// caller owns the transaction and its settings. Each Query root field compiles to one statement
// (the same SQL the HTTP server runs for the whole operation) and every nested field just reads
// its response key from that JSON; mutations run as on HTTP, inside a savepoint.
import {
  getNamedType, isEnumType, isInterfaceType, isObjectType, type GraphQLEnumType, type GraphQLFieldResolver,
  type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema,
} from 'graphql';
import type { PoolClient } from 'pg';
import { createAuth } from '../auth/auth';
import { useUnnamedStatements } from '../db/prepared';
import type { Model } from '../introspection/model';
import { compileQuery, makeCompiler, type OperationInput } from '../sql/compile';
import { compileMutationField } from '../sql/mutation';
import { decodeNodeId } from '../sql/node-id';
import { schemaPlan } from '../sql/rows';
import type { CollectedField } from '../sql/selection';
import type { OutputOptions } from '../sql/values';
import { reviver } from './json-text';
import { runMutationField } from './mutation';

export interface ResolverOptions extends OutputOptions {
  /** Signs tokens returned by functions of the `jwtTokenIdentifier` type (v4's `jwtSecret`). */
  jwtSecret?: string;
  /** false: mutations on the caller's client send statements unnamed (PgBouncer in transaction mode). */
  preparedStatements?: boolean;
}

/** The GraphQL context a caller passes: a connected client, normally inside a transaction. */
export interface ResolverContext {
  pgClient?: PoolClient;
  /** Overrides the schema's secret for signing JWTs in this execution. */
  jwtSecret?: string;
}

/** Rows under the `Node` interface carry their concrete type name under this key. */
export const NODE_TYPE = Symbol('forum-dev node type');

const hasOwn = (v: unknown, key: string | number): boolean =>
  v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, key);

function pgClientOf(context: unknown): PoolClient {
  const client = (context as ResolverContext | null | undefined)?.pgClient;
  if (!client || typeof client.query !== 'function') throw new Error('forum-dev: the GraphQL context has no pgClient');
  return client;
}

/** Our JSON is keyed by response key (aliases included), so every field reads that key. */
const readKey: GraphQLFieldResolver<unknown, unknown> = (parent, _args, _context, info) =>
  parent == null ? null : (parent as Record<string, unknown>)[info.path.key];

/**
 * SQL answers an enum by its GraphQL name (that is what HTTP responses carry), while graphql-js
 * serializes an enum from its internal value, the Postgres label: turn names back into labels.
 */
function enumLabels(type: GraphQLEnumType, v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => enumLabels(type, x));
  return typeof v === 'string' ? (type.getValue(v)?.value ?? v) : v;
}

const readEnum = (type: GraphQLEnumType): GraphQLFieldResolver<unknown, unknown> =>
  (parent, args, context, info) => enumLabels(type, readKey(parent, args, context, info));

export function attachResolvers(schema: GraphQLSchema, model: Model, output: ResolverOptions = {}): GraphQLSchema {
  const outputOptions: OutputOptions = { dynamicJson: output.dynamicJson };
  const inputOf = (info: GraphQLResolveInfo): OperationInput => ({
    schema: info.schema, model, operation: info.operation, fragments: info.fragments,
    variables: info.variableValues, output: outputOptions,
  });

  // Node ids name a table by its alias; the schema recorded the row type of each.
  const { nodeByAlias, nodeIdField } = schemaPlan(schema);
  const typeNameOfNodeId = (nodeId: unknown): string | undefined => {
    try {
      return nodeByAlias.get(decodeNodeId(String(nodeId)).alias)?.typeName;
    } catch {
      return undefined;
    }
  };
  const query = schema.getQueryType();
  const tagNode = (value: unknown, nodeId: unknown): unknown => {
    if (value && typeof value === 'object' && !(NODE_TYPE in value)) {
      // `node(nodeId: "query")` is the Query object itself (compile.ts builds its fields)
      const name = nodeId === 'query' ? query?.name : typeNameOfNodeId(nodeId);
      if (name) Object.defineProperty(value, NODE_TYPE, { value: name });
    }
    return value;
  };

  // One signer for the schema's secret; a context that brings its own secret gets its own.
  const defaultSign = createAuth({ jwtSecret: output.jwtSecret }).sign;
  const signerFor = (context: unknown) => {
    const secret = (context as ResolverContext | null)?.jwtSecret;
    return secret === undefined || secret === output.jwtSecret ? defaultSign : createAuth({ jwtSecret: secret }).sign;
  };

  const queryField: GraphQLFieldResolver<unknown, unknown> = async (parent, _args, context, info) => {
    const key = info.path.key as string;
    // Nested `query { … }` (Query.query, mutation payloads): the parent's JSON already has it.
    if (hasOwn(parent, key)) return (parent as Record<string, unknown>)[key];
    if (info.path.prev !== undefined) return null;
    const client = pgClientOf(context);
    const st = compileQuery(inputOf(info), new Set([key]));
    const { rows } = await client.query(st.text, st.values);
    return JSON.parse(rows[0].data, reviver(signerFor(context)))[key];
  };

  if (query) {
    for (const field of Object.values(query.getFields())) {
      const isNode = (field.extensions as { forumDev?: { kind?: string } })?.forumDev?.kind === 'node';
      const named = getNamedType(field.type);
      field.resolve = isNode
        ? async (parent, args, context, info) => tagNode(await queryField(parent, args, context, info), args[nodeIdField])
        : isEnumType(named) ? async (...a) => enumLabels(named, await queryField(...a)) : queryField;
    }
  }

  const mutation = schema.getMutationType();
  if (mutation) {
    for (const field of Object.values(mutation.getFields())) {
      field.resolve = async (_parent, _args, context, info) => {
        const client = pgClientOf(context);
        if (output.preparedStatements === false) useUnnamedStatements(client);
        const f: CollectedField = {
          key: info.path.key as string, name: info.fieldName, nodes: [...info.fieldNodes],
          field: info.parentType.getFields()[info.fieldName] as CollectedField['field'],
        };
        const compiled = compileMutationField(makeCompiler(inputOf(info)), f);
        const signJwt = signerFor(context);
        return JSON.parse(await runMutationField(client, compiled, signJwt), reviver(signJwt));
      };
    }
  }

  const roots = new Set<GraphQLObjectType | null | undefined>([query, mutation, schema.getSubscriptionType()]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) && !roots.has(type)) {
      for (const field of Object.values(type.getFields())) {
        const named = getNamedType(field.type);
        field.resolve = isEnumType(named) ? readEnum(named) : readKey;
      }
    }
    if (isInterfaceType(type) && type.name === 'Node') {
      // `node` tags its row; anything else under `Node` (e.g. ListenPayload.relatedNode) is
      // recognised by its own `nodeId` when it has one.
      type.resolveType = (value) => {
        const v = value as Record<string | symbol, unknown> | null;
        if (!v) return undefined;
        return (v[NODE_TYPE] as string | undefined) ?? (hasOwn(v, nodeIdField) ? typeNameOfNodeId(v[nodeIdField]) : undefined);
      };
    }
  }
  return schema;
}
