import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, findBreakingChanges } from 'graphql';
import { ddlLabels, diffSchemas, formatReloadLine } from '../../src/watch/describe';

const base = `
  type Query {
    allPosts(first: Int): [Post!]
    searchPosts(search: String): [Post!]
    person(id: Int!): Person
  }
  type Post { id: Int!, title: String, body: String, topic: PostTopic }
  type Person { id: Int!, name: String!, about: String }
  enum PostTopic { DISCUSSION INSPIRATION }
  input PostPatch { title: String, body: String }
  union Searchable = Post | Person
`;

function diff(find: string | RegExp, replace: string): Array<{ text: string; breaking: boolean }> {
  const changed = base.replace(find, replace);
  assert.notEqual(changed, base, `pattern ${find} not found`);
  const [before, after] = [buildSchema(base), buildSchema(changed)];
  const changes = diffSchemas(before, after);
  // Whatever is marked breaking must agree with graphql-js.
  assert.equal(
    changes.some((c) => c.breaking),
    findBreakingChanges(before, after).length > 0,
    `breaking flag disagrees with findBreakingChanges for ${JSON.stringify(changes)}`,
  );
  return changes;
}

describe('diffSchemas', () => {
  it('finds nothing between identical schemas', () => {
    assert.deepEqual(diffSchemas(buildSchema(base), buildSchema(base)), []);
  });

  it('reports added and removed fields', () => {
    assert.deepEqual(diff('topic: PostTopic }', 'topic: PostTopic, views: Int }'), [{ text: '+ Post.views', breaking: false }]);
    assert.deepEqual(diff(', about: String }', ' }'), [{ text: '- Person.about', breaking: true }]);
  });

  it('reports type changes, breaking only when unsafe for clients', () => {
    assert.deepEqual(diff('body: String, topic', 'body: String!, topic'), [{ text: '~ Post.body: String -> String!', breaking: false }]);
    assert.deepEqual(diff('name: String!', 'name: String'), [{ text: '~ Person.name: String! -> String', breaking: true }]);
    assert.deepEqual(diff('input PostPatch { title: String,', 'input PostPatch { title: String!,'), [
      { text: '~ PostPatch.title: String -> String!', breaking: true },
    ]);
  });

  it('reports argument changes', () => {
    assert.deepEqual(diff('searchPosts(search: String)', 'searchPosts(search: String, limit: Int)'), [
      { text: '~ Query.searchPosts(args)', breaking: false },
    ]);
    assert.deepEqual(diff('searchPosts(search: String)', 'searchPosts(search: String!)'), [
      { text: '~ Query.searchPosts(args)', breaking: true },
    ]);
    assert.deepEqual(diff('allPosts(first: Int)', 'allPosts'), [{ text: '~ Query.allPosts(args)', breaking: true }]);
  });

  it('reports enum values', () => {
    assert.deepEqual(diff('INSPIRATION }', 'INSPIRATION ARCHIVED }'), [{ text: '+ PostTopic.ARCHIVED', breaking: false }]);
    assert.deepEqual(diff('DISCUSSION INSPIRATION', 'DISCUSSION'), [{ text: '- PostTopic.INSPIRATION', breaking: true }]);
  });

  it('reports added and removed types', () => {
    const added = diff('type Post {', 'type Comment { id: Int! }\n  type Post {');
    assert.deepEqual(added, [{ text: '+ type Comment', breaking: false }]);
    const withComment = buildSchema(base.replace('type Post {', 'type Comment { id: Int! }\n  type Post {'));
    assert.deepEqual(diffSchemas(withComment, buildSchema(base)), [{ text: '- type Comment', breaking: true }]);
  });

  it('reports union members, kind changes and descriptions', () => {
    assert.deepEqual(diff('= Post | Person', '= Post'), [{ text: '~ Searchable = Post | Person -> Post', breaking: true }]);
    assert.deepEqual(diff(/enum PostTopic \{[^}]*\}/, 'scalar PostTopic'), [{ text: '~ PostTopic: enum -> scalar', breaking: true }]);
    assert.deepEqual(diff('type Post { id: Int!, title', 'type Post { id: Int!, "The title." title'), [
      { text: '~ Post.title (description)', breaking: false },
    ]);
  });
});

describe('formatReloadLine', () => {
  it('prints one line with the changes and their cause', () => {
    const line = formatReloadLine([{ text: '+ Post.views', breaking: false }], ['ALTER TABLE forum_example.post'], 23.4);
    assert.equal(line, 'schema updated in 23 ms: + Post.views (ALTER TABLE forum_example.post)');
  });

  it('puts breaking changes first, marks them, and shortens long lists', () => {
    const changes = [
      { text: '+ type Comment', breaking: false },
      ...['a', 'b', 'c', 'd'].map((f) => ({ text: `+ Query.${f}`, breaking: false })),
      { text: '- Person.about', breaking: true },
    ];
    const line = formatReloadLine(changes, ['CREATE TABLE app.comment', 'CREATE TABLE app.comment', 'COMMENT app.comment', 'ALTER TABLE app.person'], 5);
    assert.equal(
      line,
      'schema updated in 5 ms: - Person.about [breaking], + type Comment, + Query.a, + Query.b, and 2 more ' +
        '(CREATE TABLE app.comment; COMMENT app.comment; +1 more)',
    );
    assert.ok(!line.includes('\n'));
  });

  it('says so when nothing GraphQL-visible changed', () => {
    assert.equal(formatReloadLine([], [], 7), 'schema reloaded in 7 ms: no GraphQL changes');
  });

  it('labels watcher events', () => {
    assert.deepEqual(
      ddlLabels([
        { type: 'ddl', command: 'ALTER TABLE', identity: 'app.post' },
        { type: 'ddl', command: 'ALTER TABLE', identity: 'app.post' },
        { type: 'drop', command: 'DROP TABLE', identity: 'app.comment' },
        { type: 'reconnect' },
      ]),
      ['ALTER TABLE app.post', 'DROP TABLE app.comment', 'reconnected'],
    );
  });

  it('says in words what a drop took, as our triggers report it', () => {
    // The payloads of `alter table app.post drop column views` (views had a default) and
    // `drop table app.c`, as the sql_drop trigger sends them.
    const drops = (payload: object[]) => payload.map((p: any) => ({ type: 'drop', schema: p.schema, command: p.command, identity: p.identity, objectType: p.object_type }));
    assert.deepEqual(ddlLabels([
      ...drops([
        { schema: 'app', command: 'ALTER TABLE', identity: 'app.post.views', object_type: 'table column' },
        { schema: 'app', command: 'ALTER TABLE', identity: 'for app.post.views', object_type: 'default value' },
      ]),
      { type: 'ddl', command: 'ALTER TABLE', identity: 'app.post' },
    ]), ['column post.views dropped', 'ALTER TABLE app.post']);
    assert.deepEqual(ddlLabels(drops([
      { schema: 'app', command: 'DROP TABLE', identity: 'app.c', object_type: 'table' },
      { schema: 'app', command: 'DROP TABLE', identity: 'app.c', object_type: 'type' },
      { schema: 'app', command: 'DROP TABLE', identity: 'app.c[]', object_type: 'type' },
      { schema: 'app', command: 'DROP TABLE', identity: 'app.c_pkey', object_type: 'index' },
      { schema: 'app', command: 'DROP TABLE', identity: 'c_pkey on app.c', object_type: 'table constraint' },
    ])), ['table c dropped']);
    assert.deepEqual(ddlLabels(drops([
      { schema: 'My App', command: 'DROP INDEX', identity: '"My App".post_idx', object_type: 'index' },
      { schema: 'app', command: 'ALTER TABLE', identity: 'post_check on app.post', object_type: 'table constraint' },
    ])), ['index post_idx dropped', 'table constraint post_check on post dropped']);
  });
});
