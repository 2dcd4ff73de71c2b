/**
 * `monthly_spending`: per calendar month (in the system's time zone), counterparty and currency, how much money
 * went out and came in, and how many payments there were, from the current bunq payments. Amounts stay numeric,
 * so sums are exact to the cent.
 */
import * as z from 'zod';
import { TimeZone } from '../../../metadata/schedule.ts';
import { isCurrentVersion, sourceTable, type GoldProcessor } from '../gold-processor.ts';

/** `processor.options` of a monthly spending entity. */
export const MonthlySpendingOptions = z.strictObject({
  /** The zone a month is taken in; default: the system's `timezone`. */
  timezone: TimeZone.optional(),
});
export type MonthlySpendingOptions = z.output<typeof MonthlySpendingOptions>;

/** The key of a payment without IBAN or name (a bunq fee, say); keys are never null. */
export const UNKNOWN_COUNTERPARTY = '(unknown)';

/**
 * One row per month, counterparty and currency. The counterparty is its IBAN when the payment has one (names of
 * one account vary: "J. Jansen", "Jan Jansen"), else its display name (card payments to merchants have no IBAN),
 * else `(unknown)`. `counterparty_name` is the name on the month's latest payment. Money out is the sum of the
 * negative amounts, as a positive number; a zero amount is counted but moves no money.
 * Parameters: $1 time zone, $2 the unknown-counterparty key.
 */
function monthlySpendingSql(payments: string): string {
  return `
with payments as (
  select date_trunc('month', payment."created" at time zone $1::text)::date as month,
         nullif(btrim(payment."counterparty_alias_iban"), '') as counterparty_iban,
         coalesce(nullif(btrim(payment."counterparty_alias_display_name"), ''),
                  nullif(btrim(payment."counterparty_alias_label_user_display_name"), '')) as counterparty_name,
         payment."amount_currency" as currency,
         payment."amount_value" as amount,
         payment."created",
         payment."id"
    from ${payments} as payment
   where ${isCurrentVersion('payment')}
     and payment."created" is not null
     and payment."amount_value" is not null
     and payment."amount_currency" is not null
)
select payments.month,
       coalesce(payments.counterparty_iban, payments.counterparty_name, $2::text) as counterparty,
       payments.currency,
       (array_agg(payments.counterparty_name order by payments."created" desc, payments."id" desc)
          filter (where payments.counterparty_name is not null))[1] as counterparty_name,
       max(payments.counterparty_iban) as counterparty_iban,
       count(*) as payments,
       coalesce(sum(-payments.amount) filter (where payments.amount < 0), 0) as total_out,
       coalesce(sum(payments.amount) filter (where payments.amount > 0), 0) as total_in
  from payments
 group by payments.month,
          coalesce(payments.counterparty_iban, payments.counterparty_name, $2::text),
          payments.currency`;
}

/** Monthly money in and out per counterparty from the current bunq payments. */
export const monthlySpending: GoldProcessor<MonthlySpendingOptions> = {
  id: 'monthly_spending',
  sources: ['bunq_payment'],
  options: MonthlySpendingOptions,
  recompute(_tx, ctx) {
    return ctx.replaceRows(monthlySpendingSql(sourceTable(ctx, 'bunq_payment')), [ctx.options.timezone ?? ctx.timeZone, UNKNOWN_COUNTERPARTY]);
  },
};
