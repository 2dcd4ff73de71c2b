/**
 * The dashboard's charts as data: each builder turns audit or gold rows into a `ChartSpec` (labels, series, colours),
 * which the page carries as JSON and its script (client/dashboard-charts.ts) hands to Chart.js as it is. All the
 * choices (buckets, units, colours, what counts) are made here, in plain functions, so the script stays a renderer.
 */
import type { Freshness, FreshnessState } from '../../core/freshness.ts';
import type { RunStatus } from '../../core/run-status.ts';
import type { EntityBatchRows, RunsInHour } from '../../runs/run-history.ts';

/** One series of a chart: a value per label (null: no value), one colour or one per label. */
export interface ChartSeries {
  readonly label: string;
  readonly data: ReadonlyArray<number | null>;
  readonly color: string | readonly string[];
  /** Drawn as a line in a bar chart (or the reverse). */
  readonly type?: 'bar' | 'line';
}

/** A chart as the page's script draws it. */
export interface ChartSpec {
  /** Unique on the page: the canvas is `chart-<id>`. */
  readonly id: string;
  readonly type: 'bar' | 'line';
  readonly labels: readonly string[];
  readonly series: readonly ChartSeries[];
  /** Bars of the series stacked on each other. */
  readonly stacked?: boolean;
  /** Bars along the x axis (one row per label). */
  readonly horizontal?: boolean;
  /** What the value axis counts. */
  readonly unit: string;
}

/** Run statuses in stacking order, and their colours (the page's badge colours, saturated for bars). */
const STATUS_COLORS: Readonly<Record<RunStatus, string>> = {
  succeeded: '#2da44e',
  failed: '#cf222e',
  skipped: '#8c959f',
  running: '#0969da',
};

/** Colours for series that are not statuses (entities, currencies), distinguishable side by side. */
const PALETTE = ['#0969da', '#bf8700', '#8250df', '#1a7f37', '#cf222e', '#0e8a9e', '#bc4c00', '#6e7781', '#d63384', '#57606a'];

/** The palette's colour for the series at `index`, round again past its end. */
function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#57606a';
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How far back the runs chart looks. */
export const RUNS_CHART_DAYS = 14;

/**
 * Runs per status over time, stacked: hourly over the last 48 hours when nothing older ran in the window, else
 * daily over the last 14 days. Null when nothing ran in the window.
 */
export function runsOverTimeChart(rows: readonly RunsInHour[], now: Date): ChartSpec | null {
  const inWindow = rows.filter((row) => row.hour.getTime() > now.getTime() - RUNS_CHART_DAYS * DAY_MS && row.runs > 0);
  if (inWindow.length === 0) return null;
  const hourly = inWindow.every((row) => row.hour.getTime() > now.getTime() - 48 * HOUR_MS);
  const step = hourly ? HOUR_MS : DAY_MS;
  const count = hourly ? 48 : RUNS_CHART_DAYS;
  const last = Math.floor(now.getTime() / step) * step;
  const starts = Array.from({ length: count }, (_, index) => last - (count - 1 - index) * step);
  const statuses = (Object.keys(STATUS_COLORS) as RunStatus[]).filter((status) => inWindow.some((row) => row.status === status));
  const series = statuses.map((status) => {
    const data = starts.map(() => 0);
    for (const row of inWindow) {
      const index = starts.indexOf(Math.floor(row.hour.getTime() / step) * step);
      if (row.status === status && index !== -1) data[index] = (data[index] ?? 0) + row.runs;
    }
    return { label: status, data, color: STATUS_COLORS[status] };
  });
  return {
    id: 'runs',
    type: 'bar',
    labels: starts.map((start) => (hourly ? `${dayLabel(new Date(start))} ${new Date(start).toISOString().slice(11, 13)}h` : dayLabel(new Date(start)))),
    series,
    stacked: true,
    unit: hourly ? 'runs per hour (UTC)' : 'runs per day (UTC)',
  };
}

/**
 * Rows per entity and batch, one stacked bar chart per system (batches oldest first, an entity per colour). `rows`
 * are one layer's runs; what a bar counts is `records_inserted` (rows the layer wrote).
 */
export function rowsPerBatchCharts(rows: readonly EntityBatchRows[], layer: string): ChartSpec[] {
  const systems = [...new Set(rows.map((row) => row.system_id))].sort();
  return systems.map((systemId) => {
    const own = rows.filter((row) => row.system_id === systemId);
    const batches = [...new Map(own.map((row) => [row.batch_id, row.batch_timestamp])).entries()];
    const entities = [...new Set(own.map((row) => row.entity_id))].sort();
    return {
      id: `rows-${systemId}`,
      type: 'bar',
      // By time: batches of the same minute share the first 8 characters of their id (UUIDv7: the time part).
      labels: batches.map(([, timestamp]) => `${dayLabel(timestamp)} ${timestamp.toISOString().slice(11, 19)}`),
      series: entities.map((entityId, index) => ({
        label: entityId,
        data: batches.map(([batchId]) => own.find((row) => row.batch_id === batchId && row.entity_id === entityId)?.records_inserted ?? null),
        color: paletteColor(index),
      })),
      stacked: true,
      unit: `${layer} rows written`,
    };
  });
}

const FRESHNESS_COLORS: Readonly<Record<FreshnessState, string>> = {
  fresh: STATUS_COLORS.succeeded,
  late: STATUS_COLORS.failed,
  never: STATUS_COLORS.skipped,
  unscheduled: STATUS_COLORS.running,
  disabled: STATUS_COLORS.skipped,
};

/**
 * Freshness per system as horizontal bars: the age of its latest landing that reached the source (coloured by its
 * state), beside what its schedule allows (the next firing plus the grace). Seconds, minutes, hours or days,
 * whichever reads best (a landing of a few seconds ago is a bar, not a zero). Null when no system ever landed.
 */
export function freshnessChart(systems: ReadonlyArray<{ readonly system_id: string; readonly freshness: Freshness }>, now: Date): ChartSpec | null {
  const landed = systems.filter((system) => system.freshness.last_success_at !== null);
  if (landed.length === 0) return null;
  const ageMs = (system: (typeof landed)[number]): number => now.getTime() - (system.freshness.last_success_at?.getTime() ?? now.getTime());
  const allowedMs = (system: (typeof landed)[number]): number | null => {
    const { due_by: dueBy, last_success_at: last } = system.freshness;
    return dueBy === null || last === null ? null : dueBy.getTime() - last.getTime();
  };
  const longest = Math.max(...landed.flatMap((system) => [ageMs(system), allowedMs(system) ?? 0]));
  const [unitMs, unit] = longest < 2 * 60_000 ? [1000, 'seconds'] : longest < 2 * HOUR_MS ? [60_000, 'minutes'] : longest < 3 * DAY_MS ? [HOUR_MS, 'hours'] : [DAY_MS, 'days'];
  const inUnit = (ms: number): number => Math.round((ms / unitMs) * 10) / 10;
  return {
    id: 'freshness',
    type: 'bar',
    horizontal: true,
    labels: landed.map((system) => `${system.system_id} · ${system.freshness.state}`),
    series: [
      { label: 'since the latest landing', data: landed.map((system) => inUnit(ageMs(system))), color: landed.map((system) => FRESHNESS_COLORS[system.freshness.state]) },
      { label: 'the schedule allows', data: landed.map((system) => (allowedMs(system) === null ? null : inUnit(allowedMs(system) ?? 0))), color: '#d0d7de' },
    ],
    unit,
  };
}

/** A day of the daily glucose table. */
export interface GlucoseDay {
  readonly day: string;
  readonly mean_sgv: number | null;
  readonly min_sgv: number | null;
  readonly max_sgv: number | null;
}

/** Daily glucose: the mean as a line between the day's lowest and highest reading. */
export function dailyGlucoseChart(id: string, days: readonly GlucoseDay[]): ChartSpec {
  return {
    id,
    type: 'line',
    labels: days.map((day) => day.day),
    series: [
      { label: 'highest', data: days.map((day) => day.max_sgv), color: '#cf222e' },
      { label: 'mean', data: days.map((day) => day.mean_sgv), color: '#0969da' },
      { label: 'lowest', data: days.map((day) => day.min_sgv), color: '#bf8700' },
    ],
    unit: 'mg/dL',
  };
}

/** A month and currency of the monthly spending table, summed over counterparties. */
export interface SpendingMonth {
  readonly month: string;
  readonly currency: string;
  readonly total_out: number;
  readonly total_in: number;
}

/** Monthly spending: money out (and in) per month, a pair of bars per currency. */
export function monthlySpendingChart(id: string, months: readonly SpendingMonth[]): ChartSpec {
  const labels = [...new Set(months.map((month) => month.month.slice(0, 7)))].sort();
  const currencies = [...new Set(months.map((month) => month.currency))].sort();
  const amount = (label: string, currency: string, field: 'total_out' | 'total_in'): number | null =>
    months.find((month) => month.month.slice(0, 7) === label && month.currency === currency)?.[field] ?? null;
  return {
    id,
    type: 'bar',
    labels,
    series: currencies.flatMap((currency, index) => [
      { label: `out ${currency}`, data: labels.map((label) => amount(label, currency, 'total_out')), color: paletteColor(2 * index + 4) },
      { label: `in ${currency}`, data: labels.map((label) => amount(label, currency, 'total_in')), color: paletteColor(2 * index + 3) },
    ]),
    unit: currencies.length === 1 ? `${currencies[0]} per month` : 'amount per month',
  };
}

/** A customer's order total in one currency. */
export interface CustomerTotal {
  readonly customer: string;
  readonly currency: string;
  readonly total: number;
}

/** Order totals per customer (the largest first), a bar per currency. */
export function orderTotalsChart(id: string, totals: readonly CustomerTotal[]): ChartSpec {
  const customers = [...new Set(totals.map((total) => total.customer))];
  const currencies = [...new Set(totals.map((total) => total.currency))].sort();
  return {
    id,
    type: 'bar',
    labels: customers,
    series: currencies.map((currency, index) => ({
      label: currency,
      data: customers.map((customer) => totals.find((total) => total.customer === customer && total.currency === currency)?.total ?? null),
      color: paletteColor(index),
    })),
    unit: 'order total',
  };
}

/** `12-01` (UTC), the day part of the axis labels. */
function dayLabel(date: Date): string {
  return date.toISOString().slice(5, 10);
}
