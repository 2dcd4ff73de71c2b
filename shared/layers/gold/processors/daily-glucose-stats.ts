/**
 * `daily_glucose_stats`: per calendar day in the system's time zone, statistics of the CGM readings (Nightscout
 * `sgv` entries): how many, mean, min, max, and the share below, within and above the target range.
 */
import * as z from 'zod';
import { TimeZone } from '../../../metadata/schedule.ts';
import { isCurrentVersion, sourceTable, type GoldProcessor } from '../gold-processor.ts';

/** `processor.options` of a daily glucose entity; the range bounds are inclusive (70–180 mg/dL by consensus). */
export const DailyGlucoseOptions = z
  .strictObject({
    low_mg_dl: z.int().positive().default(70),
    high_mg_dl: z.int().positive().default(180),
    /** The zone a day is taken in; default: the system's `timezone`. */
    timezone: TimeZone.optional(),
  })
  .refine((options) => options.low_mg_dl < options.high_mg_dl, { error: 'low_mg_dl must be below high_mg_dl' });
export type DailyGlucoseOptions = z.output<typeof DailyGlucoseOptions>;

/**
 * Dexcom uploaders send sensor states as `sgv` values below 39 (5: not calibrated, 9: absolute deviation…), and
 * 39 itself for "LOW"; Nightscout shows the former as error codes, so they are not readings here.
 */
export const LOWEST_READING_MG_DL = 39;

/**
 * The day's statistics, set-based. A reading's instant is `date` (epoch milliseconds), else `sys_time`; two
 * entries of the same instant are one reading uploaded twice (the one with the lowest id counts). Means and
 * shares are rounded to one decimal (half away from zero), as numeric, so they compare exactly.
 * Parameters: $1 time zone, $2 low, $3 high (inclusive), $4 lowest reading.
 */
function dailyGlucoseSql(entries: string): string {
  return `
with entries as (
  select coalesce(to_timestamp(entry."date" / 1000.0), entry."sys_time") as read_at,
         entry."sgv",
         entry."id"
    from ${entries} as entry
   where ${isCurrentVersion('entry')}
     and entry."type" = 'sgv'
     and entry."sgv" >= $4::int
),
readings as (
  select distinct on (entries.read_at)
         entries.read_at,
         entries."sgv"
    from entries
   where entries.read_at is not null
   order by entries.read_at, entries."id"
),
daily as (
  select (readings.read_at at time zone $1::text)::date as day,
         readings."sgv"
    from readings
)
select daily.day,
       count(*) as readings,
       round(avg(daily."sgv"), 1) as mean_sgv,
       min(daily."sgv") as min_sgv,
       max(daily."sgv") as max_sgv,
       round(100.0 * count(*) filter (where daily."sgv" between $2::int and $3::int) / count(*), 1) as time_in_range_pct,
       round(100.0 * count(*) filter (where daily."sgv" < $2::int) / count(*), 1) as below_range_pct,
       round(100.0 * count(*) filter (where daily."sgv" > $3::int) / count(*), 1) as above_range_pct
  from daily
 group by daily.day`;
}

/** Daily glucose statistics from the current Nightscout entries. */
export const dailyGlucoseStats: GoldProcessor<DailyGlucoseOptions> = {
  id: 'daily_glucose_stats',
  sources: ['nightscout_entry'],
  options: DailyGlucoseOptions,
  recompute(_tx, ctx) {
    return ctx.replaceRows(dailyGlucoseSql(sourceTable(ctx, 'nightscout_entry')), [
      ctx.options.timezone ?? ctx.timeZone,
      ctx.options.low_mg_dl,
      ctx.options.high_mg_dl,
      LOWEST_READING_MG_DL,
    ]);
  },
};
