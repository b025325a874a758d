// A graphql-js server for the GraphiQL page tests: a schema the test swaps, a schema-change
// stream the test drives, a dev-token route that echoes what it was asked, and graphql-ws over
// a real WebSocket. (The page against forum-dev itself is tested beside it, in graphiql.test.ts.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { buildSchema, graphql, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
// graphql-ws ships `use/ws` only through package exports, which this TypeScript setup does not read.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');
import { graphiqlRouter } from '../../src/http/graphiql';

const SDL_V1 = `
  enum PostsOrderBy { NATURAL CREATED_AT_DESC }
  enum PostTopic { DISCUSSION INSPIRATION HELP SHOWCASE }
  type Person { id: Int! fullName: String }
  type Post { id: Int! headline: String! topic: PostTopic personByAuthorId: Person }
  type PostsConnection { totalCount: Int! nodes: [Post]! }
  type Query {
    allPosts(first: Int, orderBy: [PostsOrderBy!]): PostsConnection
    whoami: String
  }
  type Subscription { ticks(upTo: Int!): Int! }
`;
// The "migration": a new column and a new root field.
export const SDL_V2 = SDL_V1.replace('personByAuthorId: Person }', 'personByAuthorId: Person views: Int }').replace(
  'whoami: String',
  'whoami: String\n    postCount: Int',
);

const posts = [
  { id: 1, headline: 'Hello forum', topic: 'DISCUSSION', views: 10, personByAuthorId: { id: 1, fullName: 'Sara Smith' } },
  { id: 2, headline: 'Second post', topic: 'HELP', views: 3, personByAuthorId: { id: 2, fullName: 'Budd Deey' } },
];
const rootValue = {
  allPosts: ({ first }: { first?: number }) => ({ totalCount: posts.length, nodes: posts.slice(0, first ?? posts.length) }),
  whoami: (_args: unknown, ctx: { authorization?: string }) => ctx.authorization ?? 'anonymous',
  postCount: () => posts.length,
};

async function* ticks({ upTo }: { upTo: number }) {
  for (let i = 1; i <= upTo; i++) {
    await new Promise((r) => setTimeout(r, 30));
    yield { ticks: i };
  }
}

export interface Fixture {
  url: string;
  setSchema(sdl: string): void;
  emit(id: number, data: unknown): void;
  seenAuthorization: Array<string | null>;
  wsConnectionParams: unknown[];
  close(): Promise<void>;
}

export async function startFakeServer(): Promise<Fixture> {
  let schema: GraphQLSchema = buildSchema(SDL_V1);
  const seenAuthorization: Array<string | null> = [];
  const wsConnectionParams: unknown[] = [];
  const streams = new Set<express.Response>();
  const app = express();
  app.use(
    graphiqlRouter({
      graphqlRoute: '/graphql',
      graphiqlRoute: '/graphiql',
      streamRoute: '/graphql/stream',
      watch: true,
      subscriptionsUrl: '/graphql',
      devTokens: true,
    }),
  );
  app.use(graphiqlRouter({ graphqlRoute: '/graphql', graphiqlRoute: '/plain', watch: false }));
  app.post('/graphql', express.json(), async (req, res) => {
    const authorization = req.get('authorization') ?? null;
    if (req.body.operationName !== 'IntrospectionQuery') seenAuthorization.push(authorization);
    res.json(
      await graphql({
        schema,
        source: req.body.query,
        variableValues: req.body.variables,
        operationName: req.body.operationName,
        rootValue,
        contextValue: { authorization },
      }),
    );
  });
  app.get('/graphql/stream', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('event: open\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  app.get('/graphql/dev-token', (_req, res) => {
    res.json({ roles: ['forum_example_anonymous', 'forum_example_person'] });
  });
  app.post('/graphql/dev-token', express.json(), (req, res) => {
    res.json({ token: `dev.${Buffer.from(JSON.stringify(req.body)).toString('base64url')}` });
  });

  const server = http.createServer(app);
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const wsCleanup = useServer(
    {
      schema: () => schema,
      roots: { subscription: { ticks } },
      onConnect: (ctx) => {
        wsConnectionParams.push(ctx.connectionParams);
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setSchema: (sdl) => {
      schema = buildSchema(sdl);
    },
    emit: (id, data) => {
      for (const s of streams) s.write(`event: change\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    seenAuthorization,
    wsConnectionParams,
    close: async () => {
      for (const s of streams) s.end();
      await wsCleanup.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

