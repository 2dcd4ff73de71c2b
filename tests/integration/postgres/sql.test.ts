import { describe, expect, it } from 'vitest';
import { ident, qualified } from '../../../shared/adapters/postgres/sql.ts';
import { useTestDatabase } from './test-database.ts';

describe('ident', () => {
  it.each([
    ['plain', '"plain"'],
    ['order', '"order"'], // a keyword
    ['MixedCase', '"MixedCase"'], // case kept
    ['a"b', '"a""b"'], // inner quote doubled
    ['with space', '"with space"'],
    ['drop table x; --', '"drop table x; --"'],
  ])('quotes %j as %s', (name, quoted) => {
    expect(ident(name)).toBe(quoted);
  });

  it('refuses an empty name', () => {
    expect(() => ident('')).toThrow(TypeError);
  });
});

describe('qualified', () => {
  it('quotes schema and name separately', () => {
    expect(qualified('silver', 'bunq"payment')).toBe('"silver"."bunq""payment"');
  });
});

describe('quoted names on PostgreSQL', () => {
  const db = useTestDatabase({ migrate: false });

  it('round-trips awkward names through a real table', async () => {
    const schema = 'Odd "schema"';
    const columns = ['select', 'a"b', 'Case', 'semi; colon'];
    await db.pool.query(`create schema ${ident(schema)}`);
    await db.pool.query(`create table ${qualified(schema, 'x"y')} (${columns.map((c) => `${ident(c)} int`).join(', ')})`);
    await db.pool.query(`insert into ${qualified(schema, 'x"y')} values (1, 2, 3, 4)`);
    const result = await db.pool.query(`select ${columns.map(ident).join(', ')} from ${qualified(schema, 'x"y')}`);
    expect(result.rows).toEqual([{ select: 1, 'a"b': 2, Case: 3, 'semi; colon': 4 }]);
  });
});
