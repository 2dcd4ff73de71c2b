import { beforeAll, describe, expect, it } from 'vitest';
import { SQLSTATE } from '../../../shared/adapters/postgres/errors.ts';
import { applySilverBatch } from '../../../shared/layers/silver/apply-silver-batch.ts';
import type { BatchRef, SilverEntity } from '../../../shared/layers/silver/silver-entity.ts';
import { fulfilled, raceInTransactions } from '../runs/fixtures.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { applyBatch, batchAt, customerModel, newEntity, readSilver, writeBronze, type Row } from './fixtures.ts';

const customer = (id: string, tier = 'bronze'): Row => ({ id, name: id, tier, score: null, email: null, seen_at: null });

describe('silver invariants', () => {
  const db = useTestDatabase();

  const apply = (entity: SilverEntity, batch: BatchRef) => applyBatch(db.pool, entity, batch);

  /** Runs one statement against silver directly and returns its SQLSTATE (undefined when it succeeded). */
  const stateOf = async (sql: string): Promise<string | undefined> => {
    try {
      await db.pool.query(sql);
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  describe('enforced by the database', () => {
    let table: string;
    beforeAll(async () => {
      const entity = newEntity(customerModel, 'full');
      table = `silver.${entity.table}`;
      await writeBronze(db.pool, entity, batchAt(1), [customer('a'), customer('b')]);
      await writeBronze(db.pool, entity, batchAt(2), [customer('a', 'gold')]);
      await apply(entity, batchAt(1));
      await apply(entity, batchAt(2));
    });
    const version = (id: string, validTo: string, current: boolean, deleted: boolean) => (): string =>
      `insert into ${table} (id, "_dp_valid_from", "_dp_valid_to", "_dp_is_current", "_dp_is_deleted", "_dp_batch_id", "_dp_call_id")
       values ('${id}', '2027-01-01', ${validTo}, ${current}, ${deleted}, '00000000-0000-7000-8000-000000000001', 'manual')`;

    it.each([
      ['a second open (and current) version of a key', version('a', 'null', true, false), SQLSTATE.UNIQUE_VIOLATION],
      ['a second current row of a deleted key', version('b', "'2027-02-01'", true, true), SQLSTATE.UNIQUE_VIOLATION],
      ['an open version that is not current', version('c', 'null', false, false), SQLSTATE.CHECK_VIOLATION],
      ['an open version flagged deleted', version('c', 'null', true, true), SQLSTATE.CHECK_VIOLATION],
      ['a closed current version that is not deleted', version('c', "'2027-02-01'", true, false), SQLSTATE.CHECK_VIOLATION],
      ['a version that ends before it starts', version('c', "'2026-01-01'", false, false), SQLSTATE.CHECK_VIOLATION],
    ])('refuses %s', async (_case, sql, state) => {
      expect(await stateOf(sql())).toBe(state);
    });

    it('refuses to reopen a closed version beside the open one', async () => {
      expect(await stateOf(`update ${table} set "_dp_valid_to" = null, "_dp_is_current" = true where id = 'a' and "_dp_valid_to" is not null`)).toBe(SQLSTATE.UNIQUE_VIOLATION);
    });
  });

  describe('under concurrent calls', () => {
    const content: Record<number, Row[]> = { 1: [customer('a'), customer('b')], 2: [customer('a', 'silver')], 3: [customer('a', 'gold'), customer('c')] };

    async function inOrder(): Promise<Row[]> {
      const entity = newEntity(customerModel, 'full');
      for (const minute of [1, 2, 3]) {
        await writeBronze(db.pool, entity, batchAt(minute), content[minute] ?? []);
        await apply(entity, batchAt(minute));
      }
      return readSilver(db.pool, entity);
    }

    it('applies two batches of one entity sent at the same instant one after the other, as in order', async () => {
      const expected = await inOrder();
      for (let round = 0; round < 3; round += 1) {
        const entity = newEntity(customerModel, 'full');
        for (const minute of [1, 2, 3]) await writeBronze(db.pool, entity, batchAt(minute), content[minute] ?? []);
        await apply(entity, batchAt(1));
        const results = fulfilled(await raceInTransactions(db, 2, (tx, index) => applySilverBatch(tx, { entity, batch: batchAt(index === 0 ? 3 : 2), callId: `call-${index}` })));
        // whichever took the lock first: 2 then 3 both apply on top; 3 then 2 makes the late 2 replay
        expect([['applied', 'applied'], ['applied', 'rebuilt']]).toContainEqual(results.map((result) => result.mode).sort());
        expect(await readSilver(db.pool, entity)).toEqual(expected);
      }
    });

    it('applies the same batch sent twice at the same instant once', async () => {
      const expected = await inOrder();
      const entity = newEntity(customerModel, 'full');
      for (const minute of [1, 2, 3]) await writeBronze(db.pool, entity, batchAt(minute), content[minute] ?? []);
      await apply(entity, batchAt(1));
      await apply(entity, batchAt(2));
      const results = fulfilled(await raceInTransactions(db, 2, (tx) => applySilverBatch(tx, { entity, batch: batchAt(3), callId: 'call' })));
      expect(results.map((result) => result.mode).sort()).toEqual(['applied', 'rebuilt']);
      expect(await readSilver(db.pool, entity)).toEqual(expected);
    });
  });
});

describe('silver tables created by concurrent first calls', () => {
  const db = useTestDatabase();

  it('creates the silver schema and tables once when two entities start at the same instant', async () => {
    const entities = [newEntity(customerModel, 'full'), newEntity(customerModel, 'delta')];
    for (const entity of entities) await writeBronze(db.pool, entity, batchAt(1), [customer('a')]);
    const results = fulfilled(await raceInTransactions(db, 2, (tx, index) => applySilverBatch(tx, { entity: entities[index] as SilverEntity, batch: batchAt(1), callId: 'call' })));
    expect(results.map((result) => result.counts.records_inserted)).toEqual([1, 1]);
  });
});
