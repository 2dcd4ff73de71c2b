import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `treatments` (as_is): boluses, carbs, temp basals, notes… */
export const NightscoutTreatment = z
  .strictObject({
    // API v3 names a document by `identifier` (a v1 document's `_id`), v1 by `_id`: the same key through both
    id: column.text({ key: true, source: ['identifier', '_id'] }),
    event_type: column.text({ source: 'eventType' }),
    created_at: column.timestamptz(),
    glucose: column.numeric({ description: 'A string in the swagger, often a number in practice.' }),
    glucose_type: column.text({ source: 'glucoseType' }),
    carbs: column.numeric(),
    protein: column.numeric(),
    fat: column.numeric(),
    insulin: column.numeric(),
    units: column.text(),
    duration: column.numeric({ description: 'Minutes.' }),
    absolute: column.numeric(),
    rate: column.numeric(),
    notes: column.text({ scd: 1 }),
    entered_by: column.text({ source: 'enteredBy', scd: 1 }),
    utc_offset: column.integer({ source: 'utcOffset' }),
    sync_identifier: column.text({ source: 'syncIdentifier' }),
    is_valid: column.boolean({ source: 'isValid', scd: 1, description: 'false on a document deleted through API v3 (a tombstone).' }),
    srv_modified: column.bigint({ source: 'srvModified', scd: 1, description: 'When the server last changed the document (epoch ms; API v3 writes only).' }),
  })
  .meta({ description: 'One Nightscout treatment.' });
