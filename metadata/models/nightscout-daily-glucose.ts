import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Gold over NSC01: per day (in the system's zone), statistics of the current sgv entries. */
export const NightscoutDailyGlucose = z
  .strictObject({
    day: column.date({ key: true }),
    readings: column.integer({ nullable: false }),
    mean_sgv: column.numeric(),
    min_sgv: column.integer(),
    max_sgv: column.integer(),
    time_in_range_pct: column.numeric({ description: 'Share of readings within the range (70–180 mg/dL by default), in %.' }),
    below_range_pct: column.numeric({ description: 'Share of readings below the range, in %.' }),
    above_range_pct: column.numeric({ description: 'Share of readings above the range, in %.' }),
  })
  .meta({ description: 'Daily glucose statistics.' });
