// v4's subscriptions: `listen(topic)` (`--simple-subscriptions`) fires on
// `NOTIFY "postgraphile:<topic>"`, its payload reading anything through `query` plus the row
// named by the notification's `__node__` key; with `--live`, every Query field is also a
// Subscription field of the same name and arguments, a live query (`subscription { allPosts … }`).
import {
  GraphQLBoolean, GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap, type GraphQLInterfaceType,
} from 'graphql';

export const LISTEN_FIELD = 'listen';
export const LISTEN_CHANNEL_PREFIX = 'postgraphile:';

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
      ...(want.live ? liveFields(query) : {}),
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

/** Query's fields as live query fields: same names, arguments and types, described `(live)`. */
function liveFields(query: GraphQLObjectType): GraphQLFieldConfigMap<unknown, unknown> {
  const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const [name, field] of Object.entries(query.getFields())) {
    const args: GraphQLFieldConfigArgumentMap = {};
    for (const a of field.args) args[a.name] = { type: a.type, description: a.description, defaultValue: a.defaultValue };
    fields[name] = {
      type: field.type, args, description: `${field.description ?? ''} (live)`, deprecationReason: field.deprecationReason,
    };
  }
  return fields;
}
