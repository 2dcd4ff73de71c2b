import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { SilverOracle } from '../../../shared/layers/landing/jsonfile/generator/silver-oracle.ts';
import { rebuildSilver } from '../../../shared/layers/silver/rebuild-silver.ts';
import type { BatchRef, LoadType, SilverEntity } from '../../../shared/layers/silver/silver-entity.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { applyBatch, batchAt, newEntity, readSilver, writeBronze, type Row } from './fixtures.ts';

/**
 * Small value sets, so keys repeat and values collide; null and '' are both there on purpose. `valid` = false is a
 * tombstone (an explicit delete), so deletes, deletes of unknown or deleted keys, and keys coming back all occur.
 */
const model: EntityModel = {
  name: 'prop',
  key: ['id'],
  columns: [
    { name: 'id', type: 'text', key: true, scd: 2, nullable: false },
    { name: 'name', type: 'text', key: false, scd: 2, nullable: true },
    { name: 'amount', type: 'numeric', key: false, scd: 2, nullable: true },
    { name: 'email', type: 'text', key: false, scd: 1, nullable: true },
    { name: 'valid', type: 'boolean', key: false, scd: 1, nullable: true },
  ],
};
const TOMBSTONE = { column: 'valid', equals: false } as const;

// a type alias (not an interface), so a record is a Row for writeBronze
type Record_ = {
  readonly id: string;
  readonly name: string | null;
  readonly amount: string | null;
  readonly email: string | null;
  readonly valid: boolean | null;
};

const recordArb: fc.Arbitrary<Record_> = fc.record({
  id: fc.constantFrom('k0', 'k1', 'k2', 'k3'),
  name: fc.constantFrom(null, '', 'n'),
  amount: fc.constantFrom(null, '1', '1.0', '2'),
  email: fc.constantFrom(null, 'e1', 'e2'),
  valid: fc.constantFrom(null, true, false),
});

const scenarioArb = fc
  .record({
    loadType: fc.constantFrom<LoadType>('full', 'delta'),
    batches: fc.array(fc.array(recordArb, { maxLength: 5 }), { minLength: 1, maxLength: 5 }),
  })
  .chain((base) => {
    const indices = base.batches.map((_, index) => index);
    return fc.record({
      loadType: fc.constant(base.loadType),
      batches: fc.constant(base.batches),
      order: fc.shuffledSubarray(indices, { minLength: indices.length, maxLength: indices.length }),
      repeats: fc.array(fc.tuple(fc.constantFrom(...indices), fc.nat()), { maxLength: 3 }),
      rebuildAt: fc.option(fc.nat({ max: indices.length + 3 }), { nil: undefined }),
    });
  });

/** One version as the reference model keeps it; the comparable projection of a silver row. */
interface Version {
  id: string;
  name: string | null;
  amount: string | null;
  email: string | null;
  valid: boolean | null;
  valid_from: number;
  valid_to: number | null;
  is_current: boolean;
  is_deleted: boolean;
  batch_id: string;
  updated_batch_id: string | null;
}

/**
 * The SCD rules of docs/silver.md, written plainly, one key at a time: the generator's oracle (the same one the
 * TST01 expected silver comes from), its versions projected as `project` projects a silver row.
 */
function referenceHistory(loadType: LoadType, batches: readonly (readonly Record_[])[]): Version[] {
  const oracle = new SilverOracle(model, loadType, TOMBSTONE);
  const refs = batches.map((_, index) => batchAt(index + 1));
  refs.forEach((batch, index) => oracle.apply(batch.batch_id, (batches[index] ?? []).map((row, position) => ({ position, row }))));
  const timestampOf = new Map(refs.map((batch) => [batch.batch_id, new Date(batch.batch_timestamp).getTime()]));
  const at = (batch_id: string): number => timestampOf.get(batch_id) as number;
  const versions = oracle.versions(at).map((version): Version => {
    const values = version.values as Record_;
    return {
      id: values.id,
      name: values.name,
      amount: values.amount,
      email: values.email,
      valid: values.valid,
      valid_from: at(version.valid_from),
      valid_to: version.valid_to === null ? null : at(version.valid_to),
      is_current: version.is_current,
      is_deleted: version.is_deleted,
      batch_id: version.valid_from,
      updated_batch_id: version.updated_batch,
    };
  });
  return versions.sort((a, b) => a.id.localeCompare(b.id) || a.valid_from - b.valid_from || (a.valid_to ?? Infinity) - (b.valid_to ?? Infinity));
}

function project(row: Row): Version {
  const validTo = row._dp_valid_to as Date | null;
  return {
    id: row.id as string,
    name: row.name as string | null,
    amount: row.amount as string | null,
    email: row.email as string | null,
    valid: row.valid as boolean | null,
    valid_from: (row._dp_valid_from as Date).getTime(),
    valid_to: validTo === null ? null : validTo.getTime(),
    is_current: row._dp_is_current as boolean,
    is_deleted: row._dp_is_deleted as boolean,
    batch_id: row._dp_batch_id as string,
    updated_batch_id: row._dp_updated_batch_id as string | null,
  };
}

describe('silver replay (property)', () => {
  const db = useTestDatabase();

  const apply = (entity: SilverEntity, batch: BatchRef) => applyBatch(db.pool, entity, batch);

  it('gives the same silver for in-order, shuffled, repeated and rebuilt deliveries, tombstones included, matching the reference rules', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const batches = scenario.batches.map((_, index) => batchAt(index + 1));
        const inOrder = newEntity(model, scenario.loadType, { tombstone: TOMBSTONE });
        const shuffled = newEntity(model, scenario.loadType, { tombstone: TOMBSTONE });
        for (const [index, batch] of batches.entries()) {
          const rows = scenario.batches[index] ?? [];
          await writeBronze(db.pool, inOrder, batch, rows);
          await writeBronze(db.pool, shuffled, batch, rows);
        }

        for (const batch of batches) await apply(inOrder, batch);
        const expected = await readSilver(db.pool, inOrder);
        expect(expected.map(project)).toEqual(referenceHistory(scenario.loadType, scenario.batches));

        const deliveries = [...scenario.order];
        for (const [index, at] of scenario.repeats) deliveries.splice(at % (deliveries.length + 1), 0, index);
        for (const [step, index] of deliveries.entries()) {
          if (scenario.rebuildAt === step) {
            await withTransaction(db.pool, (tx) => rebuildSilver(tx, { entity: shuffled, batches, callId: 'call-rebuild' }));
          }
          await apply(shuffled, batches[index] as BatchRef);
        }
        expect(await readSilver(db.pool, shuffled)).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  }, 300_000);
});
