import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** bunq monetary accounts (unwrap_type): `{"MonetaryAccountBank": {…}}` → `account_type` + the account's fields. */
export const BunqMonetaryAccount = z
  .strictObject({
    id: column.bigint({ key: true }),
    account_type: column.text(),
    created: column.timestamptz(),
    updated: column.timestamptz({ scd: 1 }),
    currency: column.text(),
    description: column.text({ scd: 1 }),
    display_name: column.text({ scd: 1 }),
    status: column.text(),
    sub_status: column.text(),
    balance_value: column.numeric({ scd: 1, description: 'Changes with every payment: overwritten, not versioned.' }),
    balance_currency: column.text(),
    daily_limit_value: column.numeric(),
    daily_limit_currency: column.text(),
    user_id: column.bigint(),
    public_uuid: column.text(),
    alias: column.jsonb({ description: 'The account aliases (IBAN, email, phone) as bunq lists them.' }),
  })
  .meta({ description: 'One bunq monetary account of any type.' });
