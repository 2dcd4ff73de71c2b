import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Nightscout `devicestatus` (as_is) of a Loop uploader: pump, uploader and loop objects flattened. */
export const NightscoutDevicestatus = z
  .strictObject({
    // API v3 names a document by `identifier` (a v1 document's `_id`), v1 by `_id`: the same key through both
    id: column.text({ key: true, source: ['identifier', '_id'] }),
    device: column.text(),
    created_at: column.timestamptz(),
    pump_clock: column.timestamptz(),
    pump_id: column.text({ source: 'pump_pumpID' }),
    pump_reservoir: column.numeric(),
    pump_battery_percent: column.integer(),
    pump_suspended: column.boolean(),
    uploader_name: column.text(),
    uploader_battery: column.integer(),
    loop_name: column.text(),
    loop_version: column.text(),
    loop_timestamp: column.timestamptz(),
    loop_iob: column.numeric({ source: 'loop_iob_iob' }),
    loop_cob: column.numeric({ source: 'loop_cob_cob' }),
    loop_predicted_start_date: column.timestamptz({ source: 'loop_predicted_startDate' }),
    loop_enacted_rate: column.numeric(),
    loop_enacted_duration: column.numeric(),
    loop_enacted_received: column.boolean(),
    loop_enacted_bolus_volume: column.numeric({ source: 'loop_enacted_bolusVolume' }),
    is_valid: column.boolean({ source: 'isValid', scd: 1, description: 'false on a document deleted through API v3 (a tombstone).' }),
    srv_modified: column.bigint({ source: 'srvModified', scd: 1, description: 'When the server last changed the document (epoch ms; API v3 writes only).' }),
  })
  .meta({ description: 'One Nightscout device status upload.' });
