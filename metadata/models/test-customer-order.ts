import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** TST01 orders (explode_list of `orders`): one row per element, with the customer's id and the list index. */
export const TestCustomerOrder = z
  .strictObject({
    customer_id: column.text({ key: true }),
    order_id: column.text({ key: true }),
    list_index: column.integer({ scd: 1 }),
    ordered_at: column.timestamptz(),
    total: column.numeric(),
    currency: column.text(),
  })
  .meta({ description: 'An order inside a test customer record.' });
