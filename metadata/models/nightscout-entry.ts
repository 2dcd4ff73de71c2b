import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `entries` (as_is): CGM readings (`sgv`), meter readings (`mbg`) and calibrations (`cal`). */
export const NightscoutEntry = z
  .strictObject({
    id: column.text({ key: true, source: '_id' }),
    type: column.text(),
    sgv: column.integer({ description: 'Sensor glucose in mg/dL; some uploaders send it as a string.' }),
    mbg: column.integer(),
    direction: column.text(),
    noise: column.integer(),
    date: column.bigint({ description: 'Epoch milliseconds.' }),
    date_string: column.text({ source: 'dateString' }),
    sys_time: column.timestamptz({ source: 'sysTime' }),
    utc_offset: column.integer({ source: 'utcOffset', description: 'Minutes.' }),
    device: column.text({ scd: 1 }),
    filtered: column.double(),
    unfiltered: column.double(),
    rssi: column.integer(),
  })
  .meta({ description: 'One Nightscout entry.' });
