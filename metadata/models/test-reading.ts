import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** TST01 sensor readings (unwrap_type): `{"Thermometer": {…}}` → `reading_type` = `Thermometer` + the fields. */
export const TestReading = z
  .strictObject({
    id: column.bigint({ key: true }),
    reading_type: column.text(),
    device: column.text({ scd: 1 }),
    measured_at: column.timestamptz(),
    value: column.double(),
    deleted: column.boolean({ scd: 1, description: 'true on a tombstone: the source deleted the reading (the entity\'s tombstone rule).' }),
  })
  .meta({ description: 'A sensor reading wrapped in its sensor type.' });
