/**
 * The gold figures the dashboard charts: for each gold entity of metadata whose processor has a figure (daily
 * glucose, monthly spending, order totals), a small aggregate read from its `gold.<table>` and made into a chart, or
 * a note saying why there is none yet.
 */
import { qualified } from '../../adapters/postgres/sql.ts';
import { query, type Db } from '../../adapters/postgres/transaction.ts';
import { GOLD_SCHEMA } from '../../core/table-layout.ts';
import { entityTable, type GoldEntity } from '../../metadata/entity-schema.ts';
import { dailyGlucoseChart, monthlySpendingChart, orderTotalsChart, type ChartSpec, type CustomerTotal, type GlucoseDay, type SpendingMonth } from './chart-series.ts';

/** A gold entity's figure: its chart, or a note (`gold.x is not created yet`) when there is nothing to draw. */
export interface GoldFigure {
  readonly entity_id: string;
  readonly system_id: string;
  readonly title: string;
  readonly chart: ChartSpec | null;
  readonly note: string | null;
}

/** How one gold processor's table is read and drawn; the SQL is set-based and small (an aggregate or a top list). */
interface FigureDefinition<Row> {
  readonly title: string;
  readonly sql: (table: string) => string;
  readonly chart: (id: string, rows: Row[]) => ChartSpec;
}

function figure<Row>(definition: FigureDefinition<Row>): FigureDefinition<Row> {
  return definition;
}

/** The figures, by gold processor name (metadata/entities.json `processor.name`). */
const FIGURES: Readonly<Record<string, FigureDefinition<never>>> = {
  daily_glucose_stats: figure<GlucoseDay>({
    title: 'Daily glucose (last 90 days)',
    sql: (table) => `
      select day::text as day, mean_sgv::float8 as mean_sgv, min_sgv::float8 as min_sgv, max_sgv::float8 as max_sgv
        from ${table}
       where day > (select max(day) from ${table}) - 90
       order by day`,
    chart: dailyGlucoseChart,
  }),
  monthly_spending: figure<SpendingMonth>({
    title: 'Monthly spending (last 24 months)',
    sql: (table) => `
      select month::text as month, currency, sum(total_out)::float8 as total_out, sum(total_in)::float8 as total_in
        from ${table}
       where month > (select max(month) from ${table}) - interval '24 months'
       group by month, currency
       order by month, currency`,
    chart: monthlySpendingChart,
  }),
  customer_order_totals: figure<CustomerTotal>({
    title: 'Order totals per customer (largest 20)',
    sql: (table) => `
      select coalesce(customer_name, customer_id) as customer, currency, total::float8 as total
        from ${table}
       order by total desc, customer_id
       limit 20`,
    chart: orderTotalsChart,
  }),
};

/** The tables of the gold schema that exist now. */
export async function existingGoldTables(db: Db): Promise<Set<string>> {
  const existing = await query<{ table_name: string }>(
    db,
    'read gold tables',
    `select table_name
       from information_schema.tables
      where table_schema = $1`,
    [GOLD_SCHEMA],
  );
  return new Set(existing.rows.map((row) => row.table_name));
}

/** The figure of each gold entity that has one, in metadata order. */
export async function readGoldFigures(db: Db, entities: readonly GoldEntity[], existing: ReadonlySet<string>): Promise<GoldFigure[]> {
  const charted = entities.filter((entity) => Object.hasOwn(FIGURES, entity.processor.name));
  return Promise.all(
    charted.map(async (entity) => {
      const definition = FIGURES[entity.processor.name] as FigureDefinition<unknown>;
      const table = entityTable(entity);
      const base = { entity_id: entity.id, system_id: entity.system_id, title: definition.title };
      if (!existing.has(table)) {
        return { ...base, chart: null, note: `gold.${table} is not created yet: ${entity.system_id} has not finished a gold run.` };
      }
      const rows = await query<Record<string, unknown>>(db, `read gold figure ${table}`, definition.sql(qualified(GOLD_SCHEMA, table)));
      if (rows.rows.length === 0) return { ...base, chart: null, note: `gold.${table} has no rows yet.` };
      return { ...base, chart: definition.chart(`gold-${entity.id}`, rows.rows), note: null };
    }),
  );
}
