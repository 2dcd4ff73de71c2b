import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** TST01 products (drop_nested): top-level scalars only; `dimensions` and `variants` are left out. */
export const TestProduct = z
  .strictObject({
    sku: column.text({ key: true }),
    name: column.text({ scd: 1 }),
    price: column.numeric(),
    active: column.boolean(),
  })
  .meta({ description: 'A product of the generated test system.' });
