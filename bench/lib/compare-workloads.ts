// The six workloads of the comparison (issue 12): the GraphQL operation every target gets (v5's
// Amber names differ, so its text aliases its fields back to the same answer shape), the ONE
// hand-written statement the raw limit answers it with, how request variables are drawn, and
// what a correct answer looks like.
import { getIntrospectionQuery } from 'graphql';
import jwt from 'jsonwebtoken';
import { PEOPLE, POSTS, SEARCH_TERMS } from './compare-data';

export type Vars = Record<string, unknown>;

export interface Workload {
  id: string;
  /** The operation as the table shows it. */
  title: string;
  /** forum-dev's and v4's text (v4 is the specification). */
  query: string;
  /** The same operation in v5's Amber names, aliased to give the same answer shape. */
  v5Query: string;
  /** The raw limit's statement: returns the whole response as one text column. No SQL for W6. */
  sql?: string;
  /** The variables that are the statement's $1, $2, ... in order. */
  params?: string[];
  /** The variables of the i-th request (deterministic). */
  variables(i: number): Vars;
  /** W5 runs as the author, under RLS. */
  token?: (vars: Vars) => string;
  /** Why `data` is not a right answer for `vars`, or null when it is. */
  check(data: any, vars: Vars): string | null;
  /** Answers of all targets must be equal (after `normalize`) for the same variables. */
  sameAnswer: boolean;
  /** Writes rows (the bench removes them after the workload). */
  writes?: boolean;
}

export const JWT_SECRET = 'keyboard_kitten';

// A fixed expiry far ahead: tokens made by one run are the same on every run.
const EXP = 4_102_444_800; // 2100-01-01
export function personToken(personId: number): string {
  return jwt.sign({ role: 'forum_example_person', person_id: personId, exp: EXP, aud: 'postgraphile' }, JWT_SECRET,
    { noTimestamp: true });
}

/** An integer hash of (i, salt) in [0, n): request i of a workload is the same on every run. */
function pick(i: number, salt: number, n: number): number {
  let t = (i * 0x9e3779b9 + salt) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) % n;
}

const json = (obj: string) => `select json_build_object('data', ${obj})::text`;

export const workloads: Workload[] = [
  {
    id: 'W1',
    title: '`allPosts(first: 20, orderBy: CREATED_AT_DESC) { nodes { id headline topic author: personByAuthorId { id fullName } } }` (no index on created_at)',
    query: '{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { nodes { id headline topic author: personByAuthorId { id fullName } } } }',
    v5Query: '{ allPosts(first: 20, orderBy: CREATED_AT_DESC) { nodes { id: rowId headline topic author: personByAuthorId { id: rowId fullName } } } }',
    sql: json(`json_build_object('allPosts', json_build_object('nodes', (
      select coalesce(json_agg(json_build_object('id', p.id, 'headline', p.headline, 'topic', upper(p.topic::text),
               'author', json_build_object('id', a.id, 'fullName', forum_example.person_full_name(a)))
             order by p.created_at desc, p.id), '[]')
      from (select id, headline, topic, author_id, created_at from forum_example.post order by created_at desc, id limit 20) p
      join forum_example.person a on a.id = p.author_id)))`),
    params: [],
    variables: () => ({}),
    check: (d) => (d?.allPosts?.nodes?.length === 20 && d.allPosts.nodes.every((n: any) => n.author?.fullName) ? null : 'expected 20 posts with authors'),
    sameAnswer: true,
  },
  {
    id: 'W2',
    title: '`allPeople(first: 10) { totalCount nodes { id fullName postsByAuthorId(first: 5) { totalCount nodes { headline summary } } } }`',
    query: '{ allPeople(first: 10) { totalCount nodes { id fullName postsByAuthorId(first: 5) { totalCount nodes { headline summary } } } } }',
    v5Query: '{ allPeople(first: 10) { totalCount nodes { id: rowId fullName postsByAuthorId(first: 5) { totalCount nodes { headline summary } } } } }',
    sql: json(`json_build_object('allPeople', json_build_object(
      'totalCount', (select count(*) from forum_example.person),
      'nodes', (select coalesce(json_agg(json_build_object('id', pe.id, 'fullName', forum_example.person_full_name(pe),
          'postsByAuthorId', json_build_object(
            'totalCount', (select count(*) from forum_example.post c where c.author_id = pe.id),
            'nodes', (select coalesce(json_agg(json_build_object('headline', po.headline, 'summary', forum_example.post_summary(po)) order by po.id), '[]')
                      from (select * from forum_example.post p where p.author_id = pe.id order by p.id limit 5) po)))
        order by pe.id), '[]')
        from (select * from forum_example.person order by id limit 10) pe)))`),
    params: [],
    variables: () => ({}),
    check: (d) => (d?.allPeople?.totalCount === PEOPLE && d.allPeople.nodes?.length === 10 &&
      d.allPeople.nodes.every((n: any) => n.postsByAuthorId?.nodes?.length === 5) ? null : 'expected 10 people with 5 posts each'),
    sameAnswer: true,
  },
  {
    id: 'W3',
    title: '`postById(id: $random) { id headline body personByAuthorId { firstName } }`',
    query: 'query($id: Int!) { postById(id: $id) { id headline body personByAuthorId { firstName } } }',
    v5Query: 'query($id: Int!) { postById: postByRowId(rowId: $id) { id: rowId headline body personByAuthorId { firstName } } }',
    sql: json(`json_build_object('postById', (
      select json_build_object('id', p.id, 'headline', p.headline, 'body', p.body,
               'personByAuthorId', (select json_build_object('firstName', a.first_name) from forum_example.person a where a.id = p.author_id))
      from forum_example.post p where p.id = $1))`),
    params: ['id'],
    variables: (i) => ({ id: 1 + pick(i, 3, POSTS) }),
    check: (d, v) => (d?.postById?.id === v.id && typeof d.postById.body === 'string' && d.postById.personByAuthorId?.firstName ? null : `expected post ${v.id}`),
    sameAnswer: true,
  },
  {
    id: 'W4',
    title: '`searchPosts(search: $term, first: 5) { edges { cursor node { headline } } pageInfo { hasNextPage } }`',
    query: 'query($term: String!) { searchPosts(search: $term, first: 5) { edges { cursor node { headline } } pageInfo { hasNextPage } } }',
    v5Query: 'query($term: String!) { searchPosts(search: $term, first: 5) { edges { cursor node { headline } } pageInfo { hasNextPage } } }',
    // row_number() over () keeps the SQL function inlinable, so the scan stops after 6 matches.
    sql: `with s as (select p.headline, row_number() over () as n from forum_example.search_posts($1) p limit 6)
      ${json(`json_build_object('searchPosts', json_build_object(
        'edges', (select coalesce(json_agg(json_build_object('cursor', encode(convert_to('["natural",' || n || ']', 'utf8'), 'base64'),
                    'node', json_build_object('headline', headline)) order by n), '[]') from s where n <= 5),
        'pageInfo', json_build_object('hasNextPage', (select count(*) > 5 from s))))`)}`,
    params: ['term'],
    variables: (i) => ({ term: SEARCH_TERMS[pick(i, 5, SEARCH_TERMS.length)] }),
    check: (d) => (d?.searchPosts?.edges?.length === 5 && d.searchPosts.pageInfo?.hasNextPage === true ? null : 'expected a full page of 5 with a next page'),
    sameAnswer: true,
  },
  {
    id: 'W5',
    title: '`createPost` with a JWT under RLS',
    query: 'mutation($authorId: Int!, $headline: String!, $body: String) { createPost(input: { post: { authorId: $authorId, headline: $headline, body: $body } }) { post { id headline authorId } } }',
    v5Query: 'mutation($authorId: Int!, $headline: String!, $body: String) { createPost(input: { post: { authorId: $authorId, headline: $headline, body: $body } }) { post { id: rowId headline authorId } } }',
    sql: `with p as (insert into forum_example.post (author_id, headline, body) values ($1, $2, $3) returning id, headline, author_id)
      ${json(`json_build_object('createPost', json_build_object('post', json_build_object('id', id, 'headline', headline, 'authorId', author_id)))`)} from p`,
    params: ['authorId', 'headline', 'body'],
    variables: (i) => ({ authorId: 1 + pick(i, 7, PEOPLE), headline: `Bench post ${i}`, body: 'Written by the benchmark. '.repeat(20) }),
    token: (v) => personToken(v.authorId as number),
    check: (d, v) => {
      const p = d?.createPost?.post;
      return p && p.id > POSTS && p.headline === v.headline && p.authorId === v.authorId ? null : 'expected the new post';
    },
    sameAnswer: false,
    writes: true,
  },
  {
    id: 'W6',
    title: "GraphiQL's introspection query",
    query: getIntrospectionQuery(),
    v5Query: getIntrospectionQuery(),
    variables: () => ({}),
    check: (d) => (d?.__schema?.queryType?.name === 'Query' && d.__schema.types.some((t: any) => t.name === 'Post') ? null : 'expected an introspection result with Post'),
    sameAnswer: false,
  },
];

/** Differences v5 has by design that the comparison ignores: enum values keep their case. */
export function normalize(target: string, data: unknown): unknown {
  if (target !== 'v5') return data;
  return JSON.parse(JSON.stringify(data), (key, value) => (key === 'topic' && typeof value === 'string' ? value.toUpperCase() : value));
}
