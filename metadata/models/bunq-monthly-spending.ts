import { z } from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Gold over BNQ01: per calendar month, counterparty and currency, money in and out. */
export const BunqMonthlySpending = z
  .strictObject({
    month: column.date({ key: true, description: 'First day of the month.' }),
    counterparty: column.text({ key: true }),
    currency: column.text({ key: true }),
    payments: column.integer({ nullable: false }),
    total_out: column.numeric({ nullable: false }),
    total_in: column.numeric({ nullable: false }),
  })
  .meta({ description: 'Monthly spending per counterparty.' });
