/**
 * `glucose_forecast`: gold that uses an ML model. For each CGM reading of the last hours, the glucose 30 and 60
 * minutes later as the served champion of the `train` action's model forecasts it (MLServer, V2 inference), with the
 * registered version that made it. The readings are those `daily_glucose_stats` counts; the model's features come
 * from the hour before each reading, so an hour more is sent than is forecast from.
 */
import * as z from 'zod';
import { query } from '../../../adapters/postgres/transaction.ts';
import { UpstreamUnavailableError } from '../../../errors.ts';
import { isCurrentVersion, sourceTable, type GoldProcessor } from '../gold-processor.ts';
import { LOWEST_READING_MG_DL } from './daily-glucose-stats.ts';

/** `processor.options` of a forecast entity. */
export const GlucoseForecastOptions = z.strictObject({
  /** The registered MLflow model whose champion MLServer serves (the `train` action's `model`). */
  model: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default('glucose_forecast'),
  /** Forecast from the readings of this many hours before the newest. */
  lookback_hours: z.int().min(1).max(168).default(24),
});
export type GlucoseForecastOptions = z.output<typeof GlucoseForecastOptions>;

/** The served model's features reach this far back (functions/action-train/forecast.py: the last hour). */
const HISTORY_MINUTES = 60;

/** Where the champion is served and registered (stack.yml gives the gold function both; here: the local services). */
function servingUrls(env: NodeJS.ProcessEnv = process.env): { mlserver: string; mlflow: string } {
  return { mlserver: env.MLSERVER_URL ?? 'http://127.0.0.1:8085', mlflow: env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:5000' };
}

/** functions/action-train/model.py's `run_fingerprint`: the first 13 hex digits of the run id, a number exact in a double. */
export function runFingerprint(runId: string): number {
  return Number.parseInt(runId.slice(0, 13), 16);
}

/** The current sgv readings of the last `$3` hours (plus the model's hour of history) before the newest, one per instant. */
function readingsSql(entries: string): string {
  return `
with entries as (
  select coalesce(to_timestamp(entry."date" / 1000.0), entry."sys_time") as read_at, entry."sgv", entry."id"
    from ${entries} as entry
   where ${isCurrentVersion('entry')}
     and entry."type" = 'sgv'
     and entry."sgv" >= $1::int
),
readings as (
  select distinct on (entries.read_at) entries.read_at, entries."sgv"
    from entries
   where entries.read_at is not null
   order by entries.read_at, entries."id"
),
newest as (select max(read_at) as read_at from readings)
select (extract(epoch from readings.read_at) * 1000)::float8 as read_at_ms,
       readings."sgv"::float8 as sgv,
       readings.read_at > newest.read_at - make_interval(hours => $2) as forecast
  from readings, newest
 where readings.read_at > newest.read_at - make_interval(hours => $2, mins => $3)
 order by readings.read_at`;
}

/** The rows of the gold table from the model's answer (a JSON array of them, as one parameter). */
const FORECAST_ROWS_SQL = `
select to_timestamp((row->>'read_at_ms')::float8 / 1000) as read_at,
       (row->>'horizon_minutes')::int as horizon_minutes,
       to_timestamp((row->>'read_at_ms')::float8 / 1000) + make_interval(mins => (row->>'horizon_minutes')::int) as forecast_for,
       (row->>'sgv')::int as sgv,
       (row->>'predicted_sgv')::numeric as predicted_sgv,
       (row->>'model_version')::int as model_version
  from jsonb_array_elements($1::jsonb) as row`;

/**
 * The forecast from the current champion: none before the first champion (the table is then empty); a champion that
 * MLServer has not loaded, or another version than the champion answering (a reload pending), fails the run with
 * `UpstreamUnavailableError`, and the scheduler runs it again.
 */
export const glucoseForecast: GoldProcessor<GlucoseForecastOptions> = {
  id: 'glucose_forecast',
  sources: ['nightscout_entry'],
  options: GlucoseForecastOptions,
  async recompute(tx, ctx) {
    const urls = servingUrls();
    // Imported here, the only place that calls out over HTTP: gold and silver bundle this processor, and their
    // start needs neither client (node loads fetch itself, with undici and http2, only on the first request).
    const [{ createMlflowRegistry }, { createMlServerClient }] = await Promise.all([
      import('../../../adapters/ml/mlflow-registry.ts'),
      import('../../../adapters/ml/mlserver-client.ts'),
    ]);
    const champion = await createMlflowRegistry({ baseUrl: urls.mlflow, log: ctx.log }).aliasedVersion(ctx.options.model);
    if (champion === undefined) {
      ctx.log.info({ model: ctx.options.model }, 'no champion model yet: no forecast');
      return ctx.replaceRows(`${FORECAST_ROWS_SQL} where false`, ['[]']);
    }
    const readings = await query<{ read_at_ms: number; sgv: number; forecast: boolean }>(
      tx,
      'read readings to forecast from',
      readingsSql(sourceTable(ctx, 'nightscout_entry')),
      [LOWEST_READING_MG_DL, ctx.options.lookback_hours, HISTORY_MINUTES],
    );
    const rows = readings.rows;
    const answer = await createMlServerClient({ baseUrl: urls.mlserver, log: ctx.log }).infer(ctx.options.model, {
      read_at_ms: rows.map((row) => row.read_at_ms),
      sgv: rows.map((row) => row.sgv),
      forecast: rows.map((row) => (row.forecast ? 1 : 0)),
    });
    if (answer === 'not_loaded') {
      throw new UpstreamUnavailableError(`MLServer has not loaded ${ctx.options.model} (champion version ${champion.version}) yet`);
    }
    const served = new Set(answer.model_run ?? []);
    if (served.size > 1 || (served.size === 1 && !served.has(runFingerprint(champion.run_id)))) {
      throw new UpstreamUnavailableError(`MLServer answers with another version of ${ctx.options.model} than the champion (${champion.version}): its reload is pending`);
    }
    const sgvAt = new Map(rows.map((row) => [row.read_at_ms, row.sgv]));
    const forecasts = (answer.read_at_ms ?? []).map((readAt, index) => ({
      read_at_ms: readAt,
      horizon_minutes: answer.horizon_minutes?.[index],
      sgv: sgvAt.get(readAt),
      predicted_sgv: answer.predicted_sgv?.[index],
      model_version: champion.version,
    }));
    return ctx.replaceRows(FORECAST_ROWS_SQL, [JSON.stringify(forecasts)]);
  },
};
