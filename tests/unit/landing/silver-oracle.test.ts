import { describe, expect, it } from 'vitest';
import type { ColumnSpec, ColumnType, EntityModel } from '../../../shared/core/entity-model.ts';
import { SilverOracle, type IncomingRow } from '../../../shared/layers/landing/jsonfile/generator/silver-oracle.ts';

function column(name: string, type: ColumnType, extra: Partial<ColumnSpec> = {}): ColumnSpec {
  return { name, type, key: false, scd: 2, nullable: true, ...extra };
}

// id (key) · tier (SCD2) · email (SCD1) · price (numeric, SCD2)
const model: EntityModel = {
  name: 'thing',
  key: ['id'],
  columns: [column('id', 'text', { key: true, nullable: false }), column('tier', 'text'), column('email', 'text', { scd: 1 }), column('price', 'numeric')],
};

const row = (id: string, tier: string, email = `${id}@x`, price = '1.00') => ({ id, tier, email, price });
const rows = (...list: ReturnType<typeof row>[]): IncomingRow[] => list.map((value, position) => ({ position, row: value }));
const order = (label: string): number => Number(label.slice(-1));

function history(oracle: SilverOracle): string[] {
  return oracle
    .rows(order)
    .map((r) => `${String(r.id)} ${String(r.tier)} ${String(r.email)} ${String(r.price)} ${r._dp_valid_from}→${r._dp_valid_to ?? 'open'}${r._dp_is_current ? ' current' : ''}${r._dp_is_deleted ? ' deleted' : ''}`);
}

describe('SilverOracle', () => {
  it('opens one current version per new key', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold'), row('b', 'silver')));
    expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→open current', 'b silver b@x 1.00 b1→open current']);
  });

  it('closes the open version and opens a new one when an SCD2 column changes', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold')));
    oracle.apply('b2', rows(row('a', 'silver')));
    expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→b2', 'a silver a@x 1.00 b2→open current']);
  });

  it('overwrites an SCD1 column on every version of the key, the closed ones too', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold')));
    oracle.apply('b2', rows(row('a', 'silver')));
    oracle.apply('b3', rows(row('a', 'silver', 'new@x')));
    expect(history(oracle)).toEqual(['a gold new@x 1.00 b1→b2', 'a silver new@x 1.00 b2→open current']);
  });

  it('keeps, per version, the batch that last changed it in place: SCD1 values, closed, deleted, no longer current', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold'), row('b', 'gold')));
    oracle.apply('b2', rows(row('a', 'silver'), row('b', 'gold')));
    oracle.apply('b3', rows(row('a', 'silver', 'new@x')));
    oracle.apply('b4', rows(row('a', 'silver', 'new@x'), row('b', 'gold')));
    expect(oracle.versions(order).map((version) => `${String(version.values.id)} ${version.valid_from}: ${version.updated_batch ?? 'never'}`)).toEqual([
      'a b1: b3', // closed by b2, its SCD1 email overwritten by b3
      'a b2: b3',
      'b b1: b4', // deleted by b3's full load, no longer current once b4 brings the key back
      'b b4: never',
    ]);
  });

  it('sees decimals by value: 1.50 is no change from 1.5', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold', 'a@x', '1.5')));
    oracle.apply('b2', rows(row('a', 'gold', 'a@x', '1.50')));
    expect(history(oracle)).toEqual(['a gold a@x 1.5 b1→open current']);
  });

  it('closes and flags a key a full load lacks, which stays the current row', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold'), row('b', 'gold')));
    oracle.apply('b2', rows(row('a', 'gold')));
    expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→open current', 'b gold b@x 1.00 b1→b2 current deleted']);
  });

  it('gives a key that comes back a new version, even with the same values', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', rows(row('a', 'gold'), row('b', 'gold')));
    oracle.apply('b2', rows(row('a', 'gold')));
    oracle.apply('b3', rows(row('a', 'gold'), row('b', 'gold')));
    expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→open current', 'b gold b@x 1.00 b1→b2 deleted', 'b gold b@x 1.00 b3→open current']);
  });

  it('closes nothing in a delta load', () => {
    const oracle = new SilverOracle(model, 'delta');
    oracle.apply('b1', rows(row('a', 'gold'), row('b', 'gold')));
    oracle.apply('b2', rows(row('a', 'silver')));
    oracle.apply('b3', []);
    expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→b2', 'a silver a@x 1.00 b2→open current', 'b gold b@x 1.00 b1→open current']);
  });

  describe('with a tombstone rule (tier "gone" deletes the key)', () => {
    const gone = { column: 'tier', equals: 'gone' } as const;

    it('closes and flags the key\'s open version in a delta load, writing none of the tombstone\'s values', () => {
      const oracle = new SilverOracle(model, 'delta', gone);
      oracle.apply('b1', rows(row('a', 'gold'), row('b', 'gold')));
      oracle.apply('b2', rows(row('a', 'gone', 'new@x')));
      expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→b2 current deleted', 'b gold b@x 1.00 b1→open current']);
    });

    it('leaves a key without an open version as it is, and gives a key that comes back a new version', () => {
      const oracle = new SilverOracle(model, 'delta', gone);
      oracle.apply('b1', rows(row('a', 'gold')));
      oracle.apply('b2', rows(row('a', 'gone'), row('x', 'gone')));
      oracle.apply('b3', rows(row('a', 'gone')));
      oracle.apply('b4', rows(row('a', 'gold')));
      expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→b2 deleted', 'a gold a@x 1.00 b4→open current']);
    });

    it('deletes in a full load too, beside the absent keys', () => {
      const oracle = new SilverOracle(model, 'full', gone);
      oracle.apply('b1', rows(row('a', 'gold'), row('b', 'gold'), row('c', 'gold')));
      oracle.apply('b2', rows(row('a', 'gold'), row('b', 'gone')));
      expect(history(oracle)).toEqual(['a gold a@x 1.00 b1→open current', 'b gold b@x 1.00 b1→b2 current deleted', 'c gold c@x 1.00 b1→b2 current deleted']);
    });
  });

  it('lets the record with the greatest landing position win a duplicate key', () => {
    const oracle = new SilverOracle(model, 'full');
    oracle.apply('b1', [
      { position: 2, row: row('a', 'silver') },
      { position: 0, row: row('a', 'gold') },
    ]);
    expect(history(oracle)).toEqual(['a silver a@x 1.00 b1→open current']);
  });
});
