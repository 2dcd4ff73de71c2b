import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** TST01 attributes (explode_map of `attributes`): one row per dynamic key, its scalar value in `value`. */
export const TestCustomerAttribute = z
  .strictObject({
    customer_id: column.text({ key: true }),
    attribute_name: column.text({ key: true }),
    value: column.text(),
  })
  .meta({ description: 'A free-form attribute of a test customer (keys differ per customer).' });
