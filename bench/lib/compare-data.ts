// The comparison's data set, made by SQL so every run has the same rows: 1,000 people and
// 50,000 posts with ~500-character bodies on the forum example schema (no demo data). Every
// value is a function of the row number, so ids, bodies and created_at (distinct, hence a
// total order for CREATED_AT_DESC) are the same on any machine. post.author_id gets the index a
// foreign key usually has (W2 reads posts by author); created_at has none (W1 sorts without one).
import { Client } from 'pg';

export const PEOPLE = 1000;
export const POSTS = 50_000;

// Words for bodies and headlines; the search terms (W4) are some of them, so they match often
// enough that the first page fills long before the table ends.
export const WORDS = [
  'postgres', 'graphql', 'index', 'vacuum', 'replica', 'planner', 'cursor', 'schema', 'policy',
  'trigger', 'function', 'query', 'window', 'lateral', 'json', 'tuple', 'page', 'buffer', 'cache',
  'latency', 'throughput', 'role', 'grant', 'sequence', 'partition', 'backup', 'snapshot', 'commit',
  'rollback', 'savepoint', 'deadlock', 'listen', 'notify', 'subscription', 'connection', 'pool',
];

export const SEARCH_TERMS = ['vacuum', 'lateral', 'deadlock', 'snapshot', 'planner', 'notify'];

const seedSql = `
insert into forum_example.person (first_name, last_name, about, created_at, updated_at)
  select 'First' || g, 'Last' || g, 'About person ' || g,
         timestamp '2024-01-01' + g * interval '1 hour', timestamp '2024-01-01'
  from generate_series(1, ${PEOPLE}) g;

insert into forum_example.post (author_id, headline, body, topic, created_at, updated_at)
  select 1 + (g * 7919) % ${PEOPLE},
         'Post ' || g || ' about ' || w.words[1 + g % w.n],
         (select string_agg(w.words[1 + (g * 31 + i * i * 17 + i) % w.n], ' ')
            from generate_series(1, 68) i),
         (array['discussion', 'inspiration', 'help', 'showcase'])[1 + g % 4]::forum_example.post_topic,
         -- 7907 is coprime with 50,000: every post gets its own minute
         timestamp '2024-01-01' + ((g::bigint * 7907) % ${POSTS}) * interval '1 minute',
         timestamp '2024-01-01'
  from generate_series(1, ${POSTS}) g,
       (select $1::text[] as words, cardinality($1::text[]) as n) w;

create index post_author_id_idx on forum_example.post (author_id);
analyze forum_example.person;
analyze forum_example.post;
`;

/** Fills a freshly created forum database (schema.sql only) with the comparison's rows. */
export async function seed(adminUrl: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query('begin');
    // one statement per query: a parameter may only appear in a single-statement query
    const [people, posts, ...rest] = seedSql.split(';\n').map((s) => s.trim()).filter(Boolean);
    await c.query(people);
    await c.query(posts, [WORDS]);
    await c.query('commit');
    for (const s of rest) await c.query(s);
    const { rows } = await c.query(
      `select (select count(*) from forum_example.person)::int as people,
              (select count(*) from forum_example.post)::int as posts,
              (select avg(length(body)) from forum_example.post)::int as body`);
    if (rows[0].people !== PEOPLE || rows[0].posts !== POSTS) throw new Error(`seed made ${JSON.stringify(rows[0])}`);
  } finally {
    await c.end();
  }
}

/** W5 adds posts; removing them after its rounds gives the next workload the same table. */
export async function removeAddedPosts(adminUrl: string): Promise<number> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query(`delete from forum_example.post where id > ${POSTS}`);
    await c.query('vacuum analyze forum_example.post');
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}
