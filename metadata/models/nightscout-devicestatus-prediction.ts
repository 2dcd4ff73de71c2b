import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Loop's predicted glucose curve (explode_scalars of `loop.predicted.values`): one row per 5-minute step. */
export const NightscoutDevicestatusPrediction = z
  .strictObject({
    devicestatus_id: column.text({ key: true }),
    list_index: column.integer({ key: true, description: 'Step from loop.predicted.startDate, 5 minutes each.' }),
    value: column.integer({ description: 'Predicted glucose in mg/dL.' }),
  })
  .meta({ description: 'One value of a Loop glucose prediction.' });
