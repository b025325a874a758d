import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, quoteIdent, sql } from '../../src/sql/fragment';
import { compactJson, finishJsonText } from '../../src/execute/json-text';

test('interpolated values are always bind parameters', () => {
  const evil = "'; drop table person; --";
  const q = compile(sql`select * from t where a = ${evil} and b = ${42} and c = ${null}`);
  assert.equal(q.text, 'select * from t where a = $1 and b = $2 and c = $3');
  assert.deepEqual(q.values, [evil, 42, null]);
});

test('identifiers are always quoted, embedded quotes doubled', () => {
  assert.equal(quoteIdent('user'), '"user"');
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
  assert.equal(compile(sql`select ${sql.ident('s', 't"x')}.*`).text, 'select "s"."t""x".*');
});

test('fragments nest and number parameters in order, from an offset', () => {
  const inner = sql`x = ${1}`;
  const q = compile(sql`where ${inner} and ${sql.join([sql`y = ${2}`, sql`z = ${3}`], ' or ')}`, 2);
  assert.equal(q.text, 'where x = $3 and y = $4 or z = $5');
  assert.deepEqual(q.values, [1, 2, 3]);
});

test('literals for constant JSON keys double their quotes', () => {
  assert.equal(compile(sql`${sql.literal("it's")}`).text, "'it''s'");
});

test('compactJson drops whitespace outside strings only', () => {
  const pg = '{"a" : 1, "b" : [1, \n 2], "c" : "x  y \\" , z", "d" : "\\\\"}';
  assert.equal(compactJson(pg), JSON.stringify(JSON.parse(pg)));
  assert.equal(compactJson('{"data":{}}'), '{"data":{}}');
  // strings ending in escaped backslashes, escaped quotes before and after spaces, unicode
  const tricky = ['\\', '\\\\', 'a\\', '\\"', ' " ', '\\ " : , ', 'é ✓ \u0001', '', ' '];
  for (const value of tricky) {
    const text = `{"k" : ${JSON.stringify(value)}, "l" : [ ${JSON.stringify(value)} , 1 ]}`;
    assert.equal(compactJson(text), JSON.stringify({ k: value, l: [value, 1] }), text);
  }
  // an unterminated string (never from Postgres) ends the pass instead of looping
  assert.equal(compactJson('{"a" : "b'), '{"a":"b');
});

test('JSON-text markers become compact JSON strings', () => {
  const body = '{"data" : {"j" : {"\\u0001json" : {"k" : [1, 2]}}, "n" : null}}';
  assert.equal(finishJsonText(body), '{"data":{"j":"{\\"k\\":[1,2]}","n":null}}');
});
