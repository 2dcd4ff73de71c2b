import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `treatments` (as_is): boluses, carbs, temp basals, notes… */
export const NightscoutTreatment = z
  .strictObject({
    id: column.text({ key: true, source: '_id' }),
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
  })
  .meta({ description: 'One Nightscout treatment.' });
