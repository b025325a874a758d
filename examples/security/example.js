const { createPostGraphileSchema } = require('forum-dev');
// graphql-js is imported explicitly (the original example used `graphql` without importing it).
const { graphql } = require('graphql');
const pg = require('pg');

// pg.Pool takes a config object; a bare connection string is not accepted.
const pgPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

async function runQuery(query, variables) {
  const schema = await createPostGraphileSchema(
    process.env.DATABASE_URL,
    ['users_schema', 'posts_schema'],
    {
      dynamicJson: true,
      pgJwtSecret: process.env.JWT_SECRET,
      pgJwtTypeIdentifier: 'users_schema.jwt_type',
    }
  );

  // Fetch a postgres client from the pool
  const pgClient = await pgPool.connect();

  // Start a transaction so we can apply settings local to the transaction
  await pgClient.query("begin");

  try {
    // The following statement is equivalent to (but faster than):
    //    await pgClient.query("set local role to 'postgraphile_user'");
    //    await pgClient.query("set local jwt.claims.user_id to '27'");
    await pgClient.query(`select
      set_config('role', 'postgraphile_user', true),
      set_config('jwt.claims.user_id', '27', true)
    `);
    // graphql 16 takes one arguments object; the positional form
    // `graphql(schema, query, null, context, variables)` no longer exists.
    return await graphql({
      schema,
      source: query,
      rootValue: null,
      contextValue: /* CONTEXT > */ {
        pgClient: pgClient,
      }, /* < CONTEXT */
      variableValues: variables,
    });
  } finally {
    // commit the transaction (or rollback if there was an error) to clear the local settings
    await pgClient.query("commit");

    // Release the pgClient back to the pool.
    await pgClient.release();
  }
}

runQuery(
  "query MyQuery { allPosts { nodes { id, title, author: userByAuthorId { username } } } }"
).then(result => {
  // Printed in full (console.dir stops at depth 2 by default, which hides the posts).
  console.dir(result, { depth: null });
  // A pool is ended, not released (only a client taken from it is released).
  pgPool.end();
}).catch(e => {
  console.error(e);
  process.exit(1);
});
