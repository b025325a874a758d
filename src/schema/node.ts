// The Relay `Node` interface: every table with a primary key is a node with an opaque `nodeId`
// (see sql/node-id.ts for the encoding, inflection's `nodeAlias` for its first element).
import { GraphQLID, GraphQLInterfaceType, GraphQLNonNull } from 'graphql';

export function makeNodeInterface(nodeIdField = 'nodeId'): GraphQLInterfaceType {
  return new GraphQLInterfaceType({
    name: 'Node',
    description: 'An object that can be fetched again by its globally unique `nodeId`.',
    fields: {
      [nodeIdField]: {
        type: new GraphQLNonNull(GraphQLID),
        description: 'An opaque identifier, unique across the whole API, for refetching this object through `node`.',
      },
    },
  });
}
