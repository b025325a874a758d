-- Benchmark data for the forum example (load after examples/forum/schema.sql): 1,000 people and
-- 50,000 posts with ~500-character bodies. Deterministic (no random()), so plans and answers are
-- the same on every load. About 1 post in 10 mentions "GraphQL", so a search finds its first
-- matches after a few dozen rows; created_at has no index, as in the example schema.
insert into forum_example.person (first_name, last_name, about, created_at)
select 'First' || i, 'Last' || i, 'Person number ' || i, timestamp '2024-01-01' + i * interval '1 hour'
from generate_series(1, 1000) as i;

insert into forum_example.post (author_id, headline, body, topic, created_at)
select
  1 + (i * 7919) % 1000,
  'Post ' || i || case when i % 10 = 3 then ' about GraphQL' else ' about Postgres' end,
  left(repeat('Lorem ipsum dolor sit amet, consectetur adipiscing elit number ' || i || '. ', 8), 500),
  (array['discussion', 'inspiration', 'help', 'showcase'])[1 + i % 4]::forum_example.post_topic,
  -- not in id order, so "newest first" is not "last inserted first"
  timestamp '2024-01-01' + ((i::int8 * 104729) % 50000) * interval '1 minute'
from generate_series(1, 50000) as i;

analyze forum_example.person;
analyze forum_example.post;
