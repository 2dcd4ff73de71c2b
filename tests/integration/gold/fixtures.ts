import type pg from 'pg';
import { models } from '../../../metadata/models/index.ts';
import { ident, qualified } from '../../../shared/adapters/postgres/sql.ts';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { createLogger } from '../../../shared/log.ts';
import { Entity } from '../../../shared/metadata/entity-schema.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { readMetadataDir } from '../../../shared/metadata/read-metadata-dir.ts';
import { requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import { ensureTable } from '../../../shared/layers/tables/ensure-table.ts';
import { silverTableSpec } from '../../../shared/layers/tables/entity-tables.ts';
import type { GoldCallContext } from '../../../shared/layers/gold/process-gold-request.ts';

/** The project's own metadata (metadata/*.json and the model registry), validated as a deploy would. */
export async function projectMetadata(extraEntities: unknown[] = []): Promise<LoadedMetadata> {
  const validated = requireValidMetadata(await readMetadataDir('metadata'), models);
  return {
    ...validated,
    entities: [...validated.entities, ...extraEntities.map((record) => Entity.parse(record))],
    generation: 'test',
    deployed_at: new Date('2026-01-01T00:00:00Z'),
  };
}

/** The described model of an entity of the metadata. */
export function modelOf(metadata: LoadedMetadata, entityId: string): EntityModel {
  const entity = metadata.entities.find((each) => each.id === entityId);
  const model = entity === undefined ? undefined : metadata.models[entity.model];
  if (!model) throw new Error(`fixture: no model for ${entityId}`);
  return model;
}

/** A gold call's context on a test pool, logging nowhere. */
export function goldContext(pool: pg.Pool, metadata: LoadedMetadata, extra: Partial<GoldCallContext> = {}): GoldCallContext {
  return { pool, metadata, log: createLogger({}, { write: () => undefined }), callId: 'call-gold', timeoutSeconds: 60, ...extra };
}

/** A silver row: model values, plus which version it is (default: current). */
export type SilverRow = Record<string, unknown> & { readonly version?: 'current' | 'old' | 'deleted' };

const VALID_FROM = new Date('2025-01-01T00:00:00Z');
const CLOSED_AT = new Date('2025-01-02T00:00:00Z');

/**
 * Creates `silver.<table>` from the model (if missing) and adds versions as the engine would leave them: a
 * `current` row is open; an `old` row is a closed, no longer current version; a `deleted` row is the current row of
 * a key a full load closed.
 */
export async function writeSilver(pool: pg.Pool, table: string, model: EntityModel, rows: readonly SilverRow[]): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await ensureTable(tx, silverTableSpec({ table, model }, 'test'));
    for (const row of rows) {
      const version = row.version ?? 'current';
      const values: Record<string, unknown> = {
        ...Object.fromEntries(model.columns.map((column) => [column.name, row[column.name] ?? null])),
        _dp_valid_from: VALID_FROM,
        _dp_valid_to: version === 'current' ? null : CLOSED_AT,
        _dp_is_current: version !== 'old',
        _dp_is_deleted: version === 'deleted',
        _dp_batch_id: '00000000-0000-7000-8000-000000000000',
        _dp_call_id: 'call-fixture',
      };
      const names = Object.keys(values);
      await tx.client.query(
        `insert into ${qualified('silver', table)} (${names.map(ident).join(', ')}) values (${names.map((_, index) => `$${index + 1}`).join(', ')})`,
        Object.values(values),
      );
    }
  });
}

/** Empties a silver table (between scenarios that share it). */
export async function clearSilver(pool: pg.Pool, table: string): Promise<void> {
  await pool.query(`truncate table ${qualified('silver', table)}`);
}

/**
 * The model columns of a gold table ordered by its key, for exact comparison with hand-computed rows: numerics
 * come as text (pg's default), dates as `YYYY-MM-DD` text (pg would make a local-midnight Date), instants as Dates.
 */
export async function readGold(pool: pg.Pool, table: string, model: EntityModel): Promise<Array<Record<string, unknown>>> {
  const columns = model.columns
    .map((column) => (column.type === 'date' ? `${ident(column.name)}::text as ${ident(column.name)}` : ident(column.name)))
    .join(', ');
  const result = await pool.query(`select ${columns} from ${qualified('gold', table)} order by ${byKey(model)}`);
  return result.rows;
}

/** Orders by the key in byte order, whatever the database's collation ("(unknown)" before "Coffee Shop"). */
function byKey(model: EntityModel): string {
  return model.key.map((name) => `${ident(name)}::text collate "C"`).join(', ');
}

/** Every column of a gold table (system columns too) ordered by its key: to show a second run changed nothing. */
export async function readGoldRows(pool: pg.Pool, table: string, model: EntityModel): Promise<Array<Record<string, unknown>>> {
  const result = await pool.query(`select * from ${qualified('gold', table)} order by ${byKey(model)}`);
  return result.rows;
}
