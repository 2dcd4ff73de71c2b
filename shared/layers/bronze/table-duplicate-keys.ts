/**
 * The uniqueness check of a batch too large to hold its keys in memory, counted where the rows went: in the
 * bronze table, inside the load's transaction, before the verdict decides commit or rollback.
 */
import { ident, qualified } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import type { SampledCount } from '../../core/dq-checks.ts';
import type { JsonValue } from '../../core/json.ts';
import { BRONZE_COLUMN, BRONZE_SCHEMA } from '../../core/table-layout.ts';

const SAMPLE_LIMIT = 5;

/**
 * Counts the batch's extra occurrences of business keys (a key three times counts 2; keys with a null part are
 * left out, as in memory), with up to five of them as samples, first seen first. One pass: a grouped scan of the
 * batch's rows, which PostgreSQL spills to disk when it outgrows `work_mem`.
 */
export async function countTableDuplicateKeys(
  tx: Transaction,
  ref: { readonly table: string; readonly key: readonly string[]; readonly batch_id: string },
): Promise<SampledCount> {
  const keys = ref.key.map(ident);
  const result = await query<{ count: string; samples: JsonValue[][] }>(
    tx,
    `count duplicate keys of batch ${ref.batch_id} in ${BRONZE_SCHEMA}.${ref.table}`,
    `with repeated as (
       select ${keys.join(', ')}, count(*) - 1 as extra, min(${ident(BRONZE_COLUMN.position)}) as first_position
         from ${qualified(BRONZE_SCHEMA, ref.table)}
        where ${ident(BRONZE_COLUMN.batch_id)} = $1::uuid
          and ${keys.map((key) => `${key} is not null`).join(' and ')}
        group by ${keys.join(', ')}
       having count(*) > 1
     )
     select coalesce(sum(extra), 0)::text as count,
            coalesce((select json_agg(json_build_array(${keys.join(', ')}) order by first_position)
                        from (select * from repeated order by first_position limit ${SAMPLE_LIMIT}) as first), '[]') as samples
       from repeated`,
    [ref.batch_id],
  );
  const row = result.rows[0];
  return { count: Number(row?.count ?? 0), samples: row?.samples ?? [] };
}
