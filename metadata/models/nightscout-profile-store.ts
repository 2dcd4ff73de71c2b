import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/**
 * The named profiles inside a profile document (explode_map of `store`, keyed by profile name): one row per
 * name, so renaming a profile changes rows, not columns. Schedules (lists) stay JSON.
 */
export const NightscoutProfileStore = z
  .strictObject({
    profile_id: column.text({ key: true }),
    profile_name: column.text({ key: true }),
    dia: column.numeric({ description: 'Duration of insulin action, hours.' }),
    delay: column.numeric(),
    timezone: column.text(),
    units: column.text(),
    start_date: column.timestamptz({ source: 'startDate' }),
    carbs_hr: column.numeric(),
    basal: column.jsonb(),
    carbratio: column.jsonb(),
    sens: column.jsonb(),
    target_low: column.jsonb(),
    target_high: column.jsonb(),
  })
  .meta({ description: 'One named profile of a Nightscout profile document.' });
