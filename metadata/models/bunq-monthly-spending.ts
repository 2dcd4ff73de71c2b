import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** Gold over BNQ01: per calendar month, counterparty and currency, money in and out. */
export const BunqMonthlySpending = z
  .strictObject({
    month: column.date({ key: true, description: 'First day of the month.' }),
    counterparty: column.text({ key: true, description: 'The IBAN, else the display name, else "(unknown)".' }),
    currency: column.text({ key: true }),
    counterparty_name: column.text({ description: "The name on the month's latest payment." }),
    counterparty_iban: column.text(),
    payments: column.integer({ nullable: false }),
    total_out: column.numeric({ nullable: false, description: 'Money out, as a positive amount.' }),
    total_in: column.numeric({ nullable: false }),
  })
  .meta({ description: 'Monthly spending per counterparty.' });
