import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `profile` (drop_nested): the profile document without `store` and `loopSettings`. */
export const NightscoutProfile = z
  .strictObject({
    // API v3 names a document by `identifier` (a v1 document's `_id`), v1 by `_id`: the same key through both
    id: column.text({ key: true, source: ['identifier', '_id'] }),
    default_profile: column.text({ source: 'defaultProfile' }),
    start_date: column.timestamptz({ source: 'startDate' }),
    mills: column.bigint(),
    units: column.text(),
    created_at: column.timestamptz(),
    entered_by: column.text({ source: 'enteredBy', scd: 1 }),
    is_valid: column.boolean({ source: 'isValid', scd: 1, description: 'false on a profile deleted through API v3 (a tombstone).' }),
  })
  .meta({ description: 'One Nightscout profile document.' });
