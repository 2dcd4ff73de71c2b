import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** TST01 tags (explode_scalars of `tags`): one row per string in the list. */
export const TestCustomerTag = z
  .strictObject({
    customer_id: column.text({ key: true }),
    list_index: column.integer({ key: true }),
    value: column.text(),
  })
  .meta({ description: 'A tag of a test customer.' });
