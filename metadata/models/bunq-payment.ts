import * as z from 'zod';
import { column } from '../../shared/metadata/model-dsl.ts';

/** bunq payments (unwrap_type of `{"Payment": {…}}`), amounts kept as exact decimals. */
export const BunqPayment = z
  .strictObject({
    id: column.bigint({ key: true }),
    object_type: column.text(),
    monetary_account_id: column.bigint(),
    created: column.timestamptz(),
    updated: column.timestamptz({ scd: 1 }),
    amount_value: column.numeric({ description: 'Negative for money going out.' }),
    amount_currency: column.text(),
    balance_after_mutation_value: column.numeric(),
    description: column.text(),
    type: column.text(),
    sub_type: column.text(),
    alias_iban: column.text(),
    alias_display_name: column.text(),
    counterparty_alias_iban: column.text(),
    counterparty_alias_display_name: column.text(),
    counterparty_alias_label_user_display_name: column.text(),
    merchant_reference: column.text(),
    payment_batch_id: column.bigint({ source: 'batch_id', description: "bunq's batch, not the platform's." }),
    scheduled_id: column.bigint(),
    geolocation_latitude: column.double(),
    geolocation_longitude: column.double(),
  })
  .meta({ description: 'One bunq payment.' });
