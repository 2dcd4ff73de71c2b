/**
 * Every gold processor by the name `entities.json` gives in `processor.name`. A new gold entity with new logic
 * adds its processor here (docs/gold.md).
 */
import { NotFoundError } from '../../errors.ts';
import type { GoldProcessor } from './gold-processor.ts';
import { customerOrderTotals } from './processors/customer-order-totals.ts';
import { dailyGlucoseStats } from './processors/daily-glucose-stats.ts';
import { glucoseForecast } from './processors/glucose-forecast.ts';
import { monthlySpending } from './processors/monthly-spending.ts';

/** The processors the gold function knows, by id. */
export const goldProcessors: Readonly<Record<string, GoldProcessor>> = Object.fromEntries(
  [dailyGlucoseStats, glucoseForecast, monthlySpending, customerOrderTotals].map((processor) => [processor.id, processor as GoldProcessor]),
);

/** The processor named `name`; a name this code does not know is a `NotFoundError` naming the known ones. */
export function goldProcessorFor(name: string, registry: Readonly<Record<string, GoldProcessor>> = goldProcessors): GoldProcessor {
  const processor = registry[name];
  if (!processor) throw new NotFoundError(`unknown gold processor "${name}" (known: ${Object.keys(registry).join(', ')})`);
  return processor;
}
