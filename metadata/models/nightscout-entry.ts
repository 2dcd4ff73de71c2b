import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `entries` (as_is): CGM readings (`sgv`), meter readings (`mbg`) and calibrations (`cal`). */
export const NightscoutEntry = z
  .strictObject({
    // API v3 names a document by `identifier` (a v1 document's `_id`), v1 by `_id`: the same key through both
    id: column.text({ key: true, source: ['identifier', '_id'] }),
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
    is_valid: column.boolean({ source: 'isValid', scd: 1, description: 'false on a document deleted through API v3 (a tombstone).' }),
    srv_modified: column.bigint({ source: 'srvModified', scd: 1, description: 'When the server last changed the document (epoch ms; API v3 writes only).' }),
  })
  .meta({ description: 'One Nightscout entry.' });
