import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compareSdl, loadDbComments, stripTags } from './compare-schema';
import { createDatabase, dropDatabase, uniqueName } from './db';

const base = `
  """Root"""
  type Query implements Node {
    nodeId: ID!
    "Fetch people."
    people(first: Int, orderBy: [Order!] = [ID_ASC], filter: Filter): [Person!]
    search(term: String!): SearchResult
  }
  interface Node { nodeId: ID! }
  type Person implements Node { nodeId: ID!, id: Int!, name: String @deprecated(reason: "Use fullName") }
  type Pet { id: Int! }
  union SearchResult = Person | Pet
  enum Order { ID_ASC ID_DESC NATURAL }
  input Filter { id: Int = 1, name: String }
  type Mutation { noop: Boolean }
`;

/** Differences between `base` and `base` with `find` replaced by `replace`. */
function diffAfter(find: string | RegExp, replace: string, dbDescriptions?: Set<string>): string[] {
  const changed = base.replace(find, replace);
  assert.notEqual(changed, base, `pattern ${find} not found in base SDL`);
  return compareSdl(base, changed, { dbDescriptions });
}

function assertReports(diffs: string[], ...needles: string[]): void {
  assert.ok(diffs.length > 0, 'expected at least one difference');
  for (const n of needles) assert.ok(diffs.some((d) => d.includes(n)), `no difference mentions ${JSON.stringify(n)}: ${JSON.stringify(diffs)}`);
}

describe('compareSchemas', () => {
  it('finds no difference between identical schemas', () => {
    assert.deepEqual(compareSdl(base, base), []);
  });

  it('ignores layout and generated description wording', () => {
    assert.deepEqual(compareSdl(base, base.replace('"Fetch people."', '"Reads a list of people."').replace(/\n\s*/g, '\n')), []);
  });

  it('detects missing and extra types', () => {
    assertReports(diffAfter('type Pet { id: Int! }\n  union SearchResult = Person | Pet', 'union SearchResult = Person'), 'missing types Pet');
    assertReports(diffAfter('type Pet {', 'type Cat { id: Int }\n  type Pet {'), 'extra types Cat');
  });

  it('detects a kind change', () => {
    assertReports(diffAfter(/enum Order \{[^}]*\}/, 'scalar Order'), 'Order: kind expected enum, got scalar');
  });

  it('detects missing, extra and reordered fields', () => {
    assertReports(diffAfter('id: Int!, name: String', 'id: Int!, age: Int, name: String'), 'Person: extra fields age');
    assertReports(diffAfter(', name: String @deprecated(reason: "Use fullName")', ''), 'Person: missing fields name');
    assertReports(diffAfter('nodeId: ID!, id: Int!', 'id: Int!, nodeId: ID!'), 'Person: fields order differs');
  });

  it('detects field type, nullability and list changes', () => {
    assertReports(diffAfter('id: Int!, name', 'id: Int, name'), 'Person.id: type expected Int!, got Int');
    assertReports(diffAfter('[Person!]\n', '[Person]\n'), 'Query.people: type expected [Person!], got [Person]');
    assertReports(diffAfter('search(term: String!): SearchResult', 'search(term: String!): [SearchResult]'), 'Query.search: type');
  });

  it('detects argument differences: missing, order, type and default', () => {
    assertReports(diffAfter('people(first: Int, ', 'people('), 'Query.people: missing arguments first');
    assertReports(diffAfter('people(first: Int, orderBy: [Order!] = [ID_ASC]', 'people(orderBy: [Order!] = [ID_ASC], first: Int'), 'Query.people: arguments order differs');
    assertReports(diffAfter('search(term: String!)', 'search(term: String)'), 'Query.search(term): type expected String!, got String');
    assertReports(diffAfter('= [ID_ASC]', '= [NATURAL]'), 'Query.people(orderBy): default expected [ID_ASC], got [NATURAL]');
    assertReports(diffAfter(' = [ID_ASC]', ''), 'default expected [ID_ASC], got (none)');
  });

  it('detects interface changes', () => {
    assertReports(diffAfter('type Person implements Node {', 'type Person {'), 'Person: implements expected [Node], got []');
  });

  it('detects input object field type, default and membership changes', () => {
    assertReports(diffAfter('id: Int = 1,', 'id: Int = 2,'), 'Filter.id: default expected 1, got 2');
    assertReports(diffAfter('id: Int = 1,', 'id: Float = 1,'), 'Filter.id: type expected Int, got Float');
    assertReports(diffAfter('name: String }\n  type Mutation', 'name: String, extra: Int }\n  type Mutation'), 'Filter: extra fields extra');
  });

  it('detects enum value changes and order', () => {
    assertReports(diffAfter('ID_ASC ID_DESC NATURAL', 'ID_DESC ID_ASC NATURAL'), 'Order: values order differs');
    assertReports(diffAfter('ID_ASC ID_DESC NATURAL', 'ID_ASC NATURAL'), 'Order: missing values ID_DESC');
  });

  it('detects union member changes', () => {
    assertReports(diffAfter('= Person | Pet', '= Person'), 'SearchResult: union members expected [Person, Pet], got [Person]');
  });

  it('detects deprecation changes', () => {
    assertReports(diffAfter(' @deprecated(reason: "Use fullName")', ''), 'Person.name: deprecation reason expected "Use fullName", got null');
    assertReports(diffAfter('"Use fullName"', '"Use other"'), 'Person.name: deprecation reason');
  });

  it('requires descriptions where v4 has them, verbatim when they come from the database', () => {
    assertReports(diffAfter('"Fetch people."', ''), 'Query.people: missing description');
    assertReports(diffAfter('"""Root"""', ''), 'Query: missing description');
    const fromDb = new Set(['Fetch people.']);
    assertReports(diffAfter('"Fetch people."', '"Fetch persons."', fromDb), 'description from the database differs');
    assert.deepEqual(diffAfter('"""Root"""', '"""The root query."""', fromDb), []);
  });

  it('detects root operation type changes', () => {
    assertReports(diffAfter('type Mutation { noop: Boolean }', ''), 'schema: mutation type expected Mutation, got none');
  });
});

describe('stripTags', () => {
  it('removes leading smart-comment tag lines the way v4 does', () => {
    assert.equal(stripTags('@name foo\n@omit create\nA person.'), 'A person.');
    assert.equal(stripTags('@omit'), '');
    assert.equal(stripTags('Plain text.'), 'Plain text.');
    // Once text has started, later lines (even tag-like ones) belong to the text.
    assert.equal(stripTags('@deprecated old\nFirst line.\n@notatag here'), 'First line.\n@notatag here');
    assert.equal(stripTags('@name x\n\nText after a blank line.'), 'Text after a blank line.');
    assert.equal(stripTags('@ not a tag'), '@ not a tag');
  });
});

describe('loadDbComments', () => {
  const name = uniqueName('infra_comments');
  after(() => dropDatabase(name));

  it('collects comment texts from classes, columns, types, functions and constraints', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'cmp-')), 'c.sql');
    writeFileSync(
      file,
      `create schema c;
       create schema hidden;
       create table c.t (id int primary key, v text, constraint t_v_u unique (v));
       create type c.mood as enum ('a');
       create function c.f() returns int language sql stable as 'select 1';
       create table hidden.h (id int);
       comment on schema c is 'Schema text.';
       comment on table c.t is E'@name thing\\nTable text.';
       comment on column c.t.v is 'Column text.';
       comment on type c.mood is 'Type text.';
       comment on function c.f() is E'@sortable\\n@filterable\\nFunction text.';
       comment on constraint t_v_u on c.t is E'@omit';
       comment on table hidden.h is 'Not exposed.';`,
    );
    const url = await createDatabase(name, [file]);
    const comments = await loadDbComments(url, ['c']);
    assert.deepEqual([...comments].sort(), ['Column text.', 'Function text.', 'Schema text.', 'Table text.', 'Type text.']);
  });
});
