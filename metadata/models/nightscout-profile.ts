import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `profile` (drop_nested): the profile document without `store` and `loopSettings`. */
export const NightscoutProfile = z
  .strictObject({
    id: column.text({ key: true, source: '_id' }),
    default_profile: column.text({ source: 'defaultProfile' }),
    start_date: column.timestamptz({ source: 'startDate' }),
    mills: column.bigint(),
    units: column.text(),
    created_at: column.timestamptz(),
    entered_by: column.text({ source: 'enteredBy', scd: 1 }),
  })
  .meta({ description: 'One Nightscout profile document.' });
