import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTimeless } from './timeless';

const now = new Date('2026-11-22T10:00:00Z');

describe('assertTimeless', () => {
  it('refuses a recorded answer holding the date of the run', () => {
    const answer = JSON.stringify({ data: { createMembership: { membership: { joinedAt: '2026-11-22' } } } });
    assert.throws(() => assertTimeless(answer, 'mutation-06.json', now), /mutation-06\.json depends on when the test runs: .*2026-11-22/);
  });

  it('refuses the day before and after (a run near midnight, another time zone)', () => {
    assert.throws(() => assertTimeless('"2026-11-21T23:59:00"', 'a.json', now), /2026-11-21/);
    assert.throws(() => assertTimeless('"2026-11-23"', 'a.json', now), /2026-11-23/);
  });

  it('refuses epoch times near now and signed tokens with iat or exp', () => {
    assert.throws(() => assertTimeless(`{"exp": ${Math.round(now.getTime() / 1000) + 3600}}`, 'a.json', now), /epoch time/);
    const payload = Buffer.from(JSON.stringify({ role: 'x', exp: 1 })).toString('base64url');
    assert.throws(() => assertTimeless(`"eyJhbGciOiJIUzI1NiJ9.${payload}.c2ln"`, 'a.json', now), /JWT/);
  });

  it('accepts fixed dates, ids and other numbers', () => {
    assertTimeless(JSON.stringify({ joinedAt: '2024-03-01', createdAt: '2024-01-02T11:30:00', id: 1234567890123, n: 42 }), 'a.json', now);
  });
});
