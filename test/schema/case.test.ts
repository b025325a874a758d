// Our word casing and pluralisation must give v4's names exactly; v4's own functions (installed
// under test/compat) are the reference.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { camelCase, constantCase, pluralize, singularize, upperCamelCase } from '../../src/schema/case';
import { inflect } from '../../src/schema/inflection';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const v4 = require(join(__dirname, '../compat/node_modules/graphile-build/node8plus/utils.js')) as Record<string, (s: string) => string>;

const words = [
  'person', 'people', 'post', 'posts', 'forum_example', 'table_2', 'foo1bar', 'HTTPServer', '_leading',
  'trailing__', '__double', 'person_id', 'createdAt', 'some-thing', 'ABC_def', 'user2fa', 'x', 'a_b_c',
  'snake_case_1st', 'émile_zola', 'table name', '2fast', 'fooBAR', 'XMLHttpRequest', 'id', 'child',
  'children', 'status', 'statuses', 'data', 'news', 'equipment', 'sheep', 'criterion', 'analysis',
  'box', 'category', 'mixed_Case_Name', 'user_account', 'jwt_token', 'post_topic', 'in_progress',
];

test('casing matches v4 for every sample word', () => {
  for (const w of words) {
    assert.equal(camelCase(w), v4.camelCase(w), `camelCase(${w})`);
    assert.equal(upperCamelCase(w), v4.upperCamelCase(w), `upperCamelCase(${w})`);
    assert.equal(constantCase(w), v4.constantCase(w), `constantCase(${w})`);
    assert.equal(pluralize(w), v4.pluralize(w), `pluralize(${w})`);
    assert.equal(singularize(w), v4.singularize(w), `singularize(${w})`);
  }
});

test('enum values: symbols get names, labels are constant-cased', () => {
  assert.equal(inflect.enumValue('in_progress'), 'IN_PROGRESS');
  assert.equal(inflect.enumValue('>='), 'GREATER_THAN_OR_EQUAL');
  assert.equal(inflect.enumValue(''), '_EMPTY_');
  assert.equal(inflect.enumValue('*'), 'ASTERISK');
});
