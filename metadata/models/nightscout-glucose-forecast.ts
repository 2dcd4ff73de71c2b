import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Gold over NSC01: the served champion's glucose forecast from each recent reading, per horizon. */
export const NightscoutGlucoseForecast = z
  .strictObject({
    read_at: column.timestamptz({ key: true, description: 'The reading forecast from.' }),
    horizon_minutes: column.integer({ key: true, description: 'How far ahead: 30 or 60 minutes.' }),
    forecast_for: column.timestamptz({ description: 'read_at plus the horizon.' }),
    sgv: column.integer({ description: 'The reading, in mg/dL.' }),
    predicted_sgv: column.numeric({ description: 'The forecast glucose, in mg/dL.' }),
    model_version: column.integer({ description: 'The registered MLflow version (glucose_forecast) that made it: the champion when it ran.' }),
  })
  .meta({ description: 'Glucose forecast, 30 and 60 minutes ahead.' });
