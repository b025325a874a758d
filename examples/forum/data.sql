-- A little demo data for the forum example: three people (password "password" for each) and a
-- few posts, so GraphiQL has something to show on first start.
select forum_example.register_person('Sara', 'Powell', 'sara.powell@example.com', 'password');
select forum_example.register_person('Andrea', 'Fox', 'andrea.fox@example.com', 'password');
select forum_example.register_person('Stephen', 'Banks', 'stephen.banks@example.com', 'password');

update forum_example.person set about = 'Writes about Postgres and coffee.' where id = 1;

insert into forum_example.post (author_id, headline, body, topic, created_at) values
  (1, 'Hello, world!', 'The first post on the forum. Say hello, world!', 'discussion', '2024-01-01 10:00'),
  (1, 'Row Level Security', 'Policies decide which rows each role may see and change.', 'inspiration', '2024-01-02 11:30'),
  (2, 'How do I paginate?', 'Use first and after with the cursor of the last edge.', 'help', '2024-01-03 09:15'),
  (3, 'My GraphQL forum', null, 'showcase', '2024-01-04 16:45'),
  (2, 'Computed columns', 'Functions named after a table become fields of its type.', null, '2024-01-05 08:00');
