/** What the gold layer reads from the catalog before it recomputes: which source tables exist. */
import { query, type Db } from '../../adapters/postgres/transaction.ts';
import type { SourceTable } from './gold-processor.ts';

/** The source tables that do not exist yet (their entity never reached silver), by entity id. */
export async function missingSourceTables(db: Db, sources: readonly SourceTable[]): Promise<string[]> {
  if (sources.length === 0) return [];
  const result = await query<{ entity_id: string }>(
    db,
    'look for source tables',
    `select source.entity_id
       from unnest($1::text[], $2::text[]) as source (entity_id, table_name)
      where to_regclass(source.table_name) is null
      order by source.entity_id`,
    [sources.map((source) => source.entity_id), sources.map((source) => source.table)],
  );
  return result.rows.map((row) => row.entity_id);
}
