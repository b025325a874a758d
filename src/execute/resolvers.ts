// Resolvers for callers that execute the schema with graphql-js themselves (v4's
// `createPostGraphileSchema` + `graphql({ schema, source, contextValue: { pgClient } })`). The
// caller owns the transaction and its settings. Each Query root field compiles to one statement
// (the same SQL the HTTP server runs for the whole operation) and every nested field just reads
// its response key from that JSON; mutations run as on HTTP, inside a savepoint.
import { reviver } from '../sql/json-text';
import {
  isInterfaceType, isObjectType, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { PoolClient } from 'pg';
import { createAuth } from '../auth/auth';
import type { Model, PgClass } from '../introspection/model';
import { decodeNodeId } from '../schema/node';
import { compileQuery, makeCompiler, tableByNodeAlias, type OperationInput } from '../sql/compile';
import { compileMutationField } from '../sql/mutation';
import type { CollectedField } from '../sql/selection';
import type { OutputOptions } from '../sql/values';

export interface ResolverOptions extends OutputOptions {
  /** Signs tokens returned by functions of the `jwtTokenIdentifier` type (v4's `jwtSecret`). */
  jwtSecret?: string;
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

export function attachResolvers(schema: GraphQLSchema, model: Model, output: ResolverOptions = {}): GraphQLSchema {
  const outputOptions: OutputOptions = { dynamicJson: output.dynamicJson };
  const inputOf = (info: GraphQLResolveInfo): OperationInput => ({
    schema: info.schema, model, operation: info.operation, fragments: info.fragments,
    variables: info.variableValues, output: outputOptions,
  });

  // Node ids name a table by its plural alias; the row's GraphQL type is found from that.
  const typeByTable = new Map<PgClass, string>();
  for (const t of Object.values(schema.getTypeMap())) {
    const ext = (t.extensions as { forumDev?: { kind?: string; table?: PgClass } } | undefined)?.forumDev;
    if (isObjectType(t) && ext?.kind === 'row' && ext.table) typeByTable.set(ext.table, t.name);
  }
  const exposed = new Set(model.namespaces.map((ns) => ns.id));
  const typeNameOfNodeId = (nodeId: unknown): string | undefined => {
    try {
      const { alias } = decodeNodeId(String(nodeId));
      const table = tableByNodeAlias(model, alias, exposed);
      return table ? typeByTable.get(table) : undefined;
    } catch {
      return undefined;
    }
  };
  const tagNode = (value: unknown, nodeId: unknown): unknown => {
    if (value && typeof value === 'object' && !(NODE_TYPE in value)) {
      const name = typeNameOfNodeId(nodeId);
      if (name) Object.defineProperty(value, NODE_TYPE, { value: name });
    }
    return value;
  };

  const signerFor = (context: unknown) => {
    const secret = (context as ResolverContext | null)?.jwtSecret ?? output.jwtSecret;
    return createAuth({ jwtSecret: secret }).sign;
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

  const query = schema.getQueryType();
  if (query) {
    for (const field of Object.values(query.getFields())) {
      const isNode = (field.extensions as { forumDev?: { kind?: string } })?.forumDev?.kind === 'node';
      field.resolve = isNode
        ? async (parent, args, context, info) => tagNode(await queryField(parent, args, context, info), args.nodeId)
        : queryField;
    }
  }

  const mutation = schema.getMutationType();
  if (mutation) {
    for (const field of Object.values(mutation.getFields())) {
      field.resolve = async (_parent, _args, context, info) => {
        const client = pgClientOf(context);
        const f: CollectedField = {
          key: info.path.key as string, name: info.fieldName, nodes: [...info.fieldNodes],
          field: info.parentType.getFields()[info.fieldName] as CollectedField['field'],
        };
        const compiled = compileMutationField(makeCompiler(inputOf(info)), model, f);
        const signJwt = signerFor(context);
        // As v4: each mutation in its own savepoint, so a failed one leaves nothing behind.
        await client.query('savepoint graphql_mutation');
        try {
          const json = await compiled.run(client, signJwt);
          await client.query('release savepoint graphql_mutation');
          return JSON.parse(json, reviver(signJwt));
        } catch (e) {
          await client.query('rollback to savepoint graphql_mutation');
          throw e;
        }
      };
    }
  }

  const roots = new Set<GraphQLObjectType | null | undefined>([query, mutation, schema.getSubscriptionType()]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) && !roots.has(type)) {
      for (const field of Object.values(type.getFields())) field.resolve = readKey;
    }
    if (isInterfaceType(type) && type.name === 'Node') {
      // `node` tags its row; anything else under `Node` (e.g. ListenPayload.relatedNode) is
      // recognised by its own `nodeId` when it has one.
      type.resolveType = (value) => {
        const v = value as Record<string | symbol, unknown> | null;
        if (!v) return undefined;
        return (v[NODE_TYPE] as string | undefined) ?? (hasOwn(v, 'nodeId') ? typeNameOfNodeId(v.nodeId) : undefined);
      };
    }
  }
  return schema;
}
