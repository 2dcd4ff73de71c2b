/**
 * `customer_order_totals` (test system TST01): per customer and order currency, how many current orders the
 * customer has, their total and the first and last order time. The generated orders come in EUR and USD, so
 * totals are kept per currency, never added across.
 */
import * as z from 'zod';
import { isCurrentVersion, sourceTable, type GoldProcessor } from '../gold-processor.ts';

/** `processor.options` of an order totals entity: none. */
export const CustomerOrderTotalsOptions = z.strictObject({});
export type CustomerOrderTotalsOptions = z.output<typeof CustomerOrderTotalsOptions>;

/**
 * Current customers joined with their current orders: a customer without orders has no row, and so have orders
 * whose customer is gone (a full load deleted it, and with it its orders, in the same batch). An order without
 * a total counts as an order but adds nothing to the total.
 */
function customerOrderTotalsSql(customers: string, orders: string): string {
  return `
with customers as (
  select customer."id",
         customer."name"
    from ${customers} as customer
   where ${isCurrentVersion('customer')}
),
orders as (
  select customer_order."customer_id",
         customer_order."currency",
         customer_order."total",
         customer_order."ordered_at"
    from ${orders} as customer_order
   where ${isCurrentVersion('customer_order')}
     and customer_order."currency" is not null
)
select customers."id" as customer_id,
       orders."currency",
       customers."name" as customer_name,
       count(*) as orders,
       coalesce(sum(orders."total"), 0) as total,
       min(orders."ordered_at") as first_ordered_at,
       max(orders."ordered_at") as last_ordered_at
  from customers
  join orders
    on orders."customer_id" = customers."id"
 group by customers."id",
          customers."name",
          orders."currency"`;
}

/** Order count and totals per test customer and currency. */
export const customerOrderTotals: GoldProcessor<CustomerOrderTotalsOptions> = {
  id: 'customer_order_totals',
  sources: ['test_customer', 'test_customer_order'],
  options: CustomerOrderTotalsOptions,
  recompute(_tx, ctx) {
    return ctx.replaceRows(customerOrderTotalsSql(sourceTable(ctx, 'test_customer'), sourceTable(ctx, 'test_customer_order')));
  },
};
