import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** TST01 customers (as_is): the nested `address` object flattens to `address_*` columns. */
export const TestCustomer = z
  .strictObject({
    id: column.text({ key: true }),
    name: column.text(),
    email: column.text({ scd: 1, description: 'Corrections overwrite; no history kept.' }),
    tier: column.text({ description: 'Loyalty tier; each change is a new version.' }),
    address_street: column.text(),
    address_city: column.text(),
    address_country: column.text(),
    updated_at: column.timestamptz({ scd: 1 }),
  })
  .meta({ description: 'A customer of the generated test system.' });
