// The Relay `Node` interface: every table with a primary key is a node with an opaque `nodeId`
// (base64 of `["<plural table name>", ...primary key values]`, as v4 encodes it).
import { GraphQLID, GraphQLInterfaceType, GraphQLNonNull } from 'graphql';
import { pluralize } from './case';
import type { PgClass } from '../introspection/model';

export function makeNodeInterface(): GraphQLInterfaceType {
  return new GraphQLInterfaceType({
    name: 'Node',
    description: 'An object that can be fetched again by its globally unique `nodeId`.',
    fields: {
      nodeId: {
        type: new GraphQLNonNull(GraphQLID),
        description: 'An opaque identifier, unique across the whole API, for refetching this object through `node`.',
      },
    },
  });
}

/** The first element of a table's node ids. */
export const nodeAlias = (table: PgClass) => pluralize(table.name);

export function encodeNodeId(alias: string, keys: unknown[]): string {
  return Buffer.from(JSON.stringify([alias, ...keys])).toString('base64');
}

/** Decodes a node id; throws a clear error (never reaching SQL) when it is not one of ours. */
export function decodeNodeId(nodeId: string): { alias: string; keys: unknown[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(String(nodeId), 'base64').toString('utf8'));
  } catch {
    throw new Error('Invalid nodeId: it is not a node identifier issued by this API.');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') {
    throw new Error('Invalid nodeId: it is not a node identifier issued by this API.');
  }
  return { alias: parsed[0], keys: parsed.slice(1) };
}
