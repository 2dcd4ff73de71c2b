import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { explainUnsafeIdentifier, Identifier, SystemId } from '../../../shared/metadata/identifier.ts';

describe('Identifier', () => {
  const isSafeIdentifier = (name: string): boolean => Identifier.safeParse(name).success;

  it.each([
    ['nightscout_entry', true], // snake_case
    ['a', true], // one letter
    ['loop_iob_2', true], // digits inside and at the end of a part
    ['x'.repeat(63), true], // exactly 63 bytes
    ['x'.repeat(64), false], // PostgreSQL would truncate it
    ['NightscoutEntry', false], // upper case would need quoting
    ['_dp_batch_id', false], // leading underscore: reserved for the platform's system columns
    ['2fa', false], // starts with a digit
    ['double__underscore', false], // empty part
    ['trailing_', false],
    ['with-dash', false],
    ['with.dot', false], // a dot is a path separator in MongoDB
    ['caf\u00e9', false], // ASCII only
    ['', false],
  ])('%s → %s', (name, expected) => {
    expect(isSafeIdentifier(name)).toBe(expected);
  });

  it('says why a name is refused', () => {
    expect(explainUnsafeIdentifier('x'.repeat(64))).toMatch(/is 64 bytes; identifiers are at most 63 bytes/);
    expect(explainUnsafeIdentifier('Bad')).toMatch(/is not snake_case/);
  });

  test.prop([fc.stringMatching(/^[a-z][a-z0-9]{0,10}(_[a-z0-9]{1,10}){0,4}$/)])(
    'accepts every short snake_case name',
    (name) => {
      expect(isSafeIdentifier(name)).toBe(true);
    },
  );
});

describe('SystemId', () => {
  it.each(['NSC01', 'BNQ01', 'TST99'])('accepts %s', (id) => {
    expect(SystemId.safeParse(id).success).toBe(true);
  });

  it.each(['nsc01', 'NSC1', 'NSCX01', 'NS01', 'NSC011'])('refuses %s', (id) => {
    expect(SystemId.safeParse(id).error?.issues[0]?.message).toBe(
      `expected a system id like NSC01 (three capital letters, two digits), got "${id}"`,
    );
  });
});
