// PostGraphile v5 for `npm run bench`: the Amber preset with the JWT setup the other targets
// have (secret, default role, JWT type), served by grafserv on node:http. Run from this folder's
// own install (Node ESM, not part of the project's TypeScript).
//
//   node v5-server.mjs <connection> <port>     prints "listening" when the schema is built
import { createServer } from 'node:http';

// v5 asks for Node 22; on the project's Node 20 the one thing it uses that is missing is
// Promise.withResolvers (without it every query fails inside grafast), so add it before loading.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const { postgraphile } = await import('postgraphile');
const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');
const { PgLazyJWTPreset } = await import('postgraphile/presets/lazy-jwt');
const { makePgService } = await import('postgraphile/adaptors/pg');
const { grafserv } = await import('postgraphile/grafserv/node');

const [connectionString, port] = process.argv.slice(2);
const secret = process.env.BENCH_JWT_SECRET;
if (!connectionString || !port || !secret) {
  console.error('usage: BENCH_JWT_SECRET=... node v5-server.mjs <connection> <port>');
  process.exit(2);
}

const preset = {
  extends: [PostGraphileAmberPreset, PgLazyJWTPreset],
  // v4 (and so forum-dev) orders and relates by columns that have no index; v5 hides those
  // unless this plugin is off, and the workloads use them (created_at, post.author_id).
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [makePgService({ connectionString, schemas: ['forum_example'] })],
  gather: { pgJwtTypes: 'forum_example.jwt_token' },
  schema: { pgJwtSecret: secret },
  grafserv: { port: Number(port), host: '127.0.0.1', graphiql: false, websockets: false },
  grafast: {
    // The default role for requests without a JWT; the JWT preset has already put the token's
    // role and claims in pgSettings when there is one.
    context(_ctx, args) {
      return { pgSettings: { role: 'forum_example_anonymous', ...args.contextValue?.pgSettings } };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
await pgl.getSchema();
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
});
