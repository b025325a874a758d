-- The small database the security example (example.js) assumes: users in one schema, posts in
-- another, and row level security so that `postgraphile_user` only sees the posts of the user
-- named by the transaction-local setting `jwt.claims.user_id`.
--
--   createdb security && psql security -f examples/security/schema.sql

-- Roles are cluster-wide: create it only when it does not exist yet.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'postgraphile_user') then
    create role postgraphile_user nologin;
  end if;
end
$$;

create schema users_schema;
create schema posts_schema;

-- `user` is a reserved word, so the table name is always quoted.
create table users_schema."user" (
  id serial primary key,
  username text not null unique
);

create table posts_schema.post (
  id serial primary key,
  title text not null,
  author_id int not null references users_schema."user" (id)
);
create index on posts_schema.post (author_id);

-- Signed into a JWT by `authenticate` when the schema is built with pgJwtTypeIdentifier.
create type users_schema.jwt_type as (
  role text,
  user_id int
);

create function users_schema.authenticate(username text) returns users_schema.jwt_type as $$
  select ('postgraphile_user', u.id)::users_schema.jwt_type
  from users_schema."user" as u
  where u.username = authenticate.username
$$ language sql strict security definer;

grant usage on schema users_schema, posts_schema to postgraphile_user;
grant select on users_schema."user" to postgraphile_user;
grant select, insert, update, delete on posts_schema.post to postgraphile_user;
grant usage on sequence posts_schema.post_id_seq to postgraphile_user;
grant execute on function users_schema.authenticate(text) to postgraphile_user;

alter table posts_schema.post enable row level security;

-- An unset claim reads as null, which matches no row.
create policy post_owner on posts_schema.post to postgraphile_user
  using (author_id = nullif(current_setting('jwt.claims.user_id', true), '')::int)
  with check (author_id = nullif(current_setting('jwt.claims.user_id', true), '')::int);

insert into users_schema."user" (id, username) values
  (1, 'alice'),
  (2, 'bob'),
  (27, 'carol'),
  (28, 'dave');
select setval('users_schema.user_id_seq', (select max(id) from users_schema."user"));

insert into posts_schema.post (title, author_id) values
  ('Alice on gardening', 1),
  ('Bob''s first post', 2),
  ('Carol writes about row level security', 27),
  ('Alice again', 1),
  ('Carol''s second post', 27),
  ('Dave says hello', 28),
  ('Carol: a third one', 27);
