// v4's simple subscriptions (`--simple-subscriptions`): `listen(topic)` fires on
// `NOTIFY "postgraphile:<topic>"`. The payload lets the client read anything through `query`,
// plus the row named by the notification's `__node__` key.
import {
  GraphQLBoolean, GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLInterfaceType,
} from 'graphql';

export const LISTEN_FIELD = 'listen';
export const LISTEN_CHANNEL_PREFIX = 'postgraphile:';
/** Live queries (`--live`): `subscription { live { …any query… } }` re-sends on data changes. */
export const LIVE_FIELD = 'live';

export function buildSubscriptionType(
  query: GraphQLObjectType, node: GraphQLInterfaceType, want: { listen: boolean; live: boolean } = { listen: true, live: false },
): GraphQLObjectType {
  const ListenPayload = new GraphQLObjectType({
    name: 'ListenPayload',
    fields: {
      query: {
        type: query,
        description: 'Our root query field type. Allows us to run any query from our subscription payload.',
      },
      relatedNode: { type: node },
      relatedNodeId: { type: GraphQLID },
    },
  });
  return new GraphQLObjectType({
    name: 'Subscription',
    description: 'The root subscription type: contains events and live queries you can subscribe to with the `subscription` operation.',
    fields: () => ({
      ...(want.live ? {
        [LIVE_FIELD]: {
          type: new GraphQLNonNull(query),
          description: 'A live query: the selection is answered now and again whenever rows of the tables it reads change.',
        },
      } : {}),
      ...(want.listen ? { [LISTEN_FIELD]: {
        type: new GraphQLNonNull(ListenPayload),
        args: {
          topic: { type: new GraphQLNonNull(GraphQLString) },
          initialEvent: {
            type: new GraphQLNonNull(GraphQLBoolean),
            defaultValue: false,
            description: 'If true, this subscription will trigger an event as soon as it initiates.',
          },
        },
      } } : {}),
    }),
  });
}
