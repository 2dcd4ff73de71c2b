import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Gold over TST01: per customer and order currency, the number and sum of current orders. */
export const TestCustomerOrderTotal = z
  .strictObject({
    customer_id: column.text({ key: true }),
    currency: column.text({ key: true }),
    customer_name: column.text(),
    orders: column.integer({ nullable: false }),
    total: column.numeric({ nullable: false }),
    first_ordered_at: column.timestamptz(),
    last_ordered_at: column.timestamptz(),
  })
  .meta({ description: 'Order count and total per test customer and currency.' });
