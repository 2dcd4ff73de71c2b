import { describe, expect, it } from 'vitest';
import { freshness } from '../../../shared/core/freshness.ts';
import {
  dailyGlucoseChart,
  freshnessChart,
  monthlySpendingChart,
  rowsPerBatchCharts,
  runsOverTimeChart,
} from '../../../shared/layers/dashboard/chart-series.ts';
import type { EntityBatchRows } from '../../../shared/runs/run-history.ts';

const now = new Date('2025-03-10T12:34:00Z');
const hour = (iso: string): Date => new Date(iso);

describe('runsOverTimeChart', () => {
  it('counts runs per hour over the last 48 hours, a stacked series per status that occurred', () => {
    const chart = runsOverTimeChart(
      [
        { hour: hour('2025-03-10T12:00:00Z'), status: 'succeeded', runs: 17 },
        { hour: hour('2025-03-10T12:00:00Z'), status: 'failed', runs: 2 },
        { hour: hour('2025-03-09T01:00:00Z'), status: 'succeeded', runs: 3 },
      ],
      now,
    );
    expect(chart?.labels).toHaveLength(48);
    expect(chart?.labels.at(-1)).toBe('03-10 12h');
    expect(chart?.labels[0]).toBe('03-08 13h');
    expect(chart?.stacked).toBe(true);
    expect(chart?.unit).toBe('runs per hour (UTC)');
    expect(chart?.series.map((series) => series.label)).toEqual(['succeeded', 'failed']);
    expect(chart?.series[0]?.data.at(-1)).toBe(17);
    expect(chart?.series[0]?.data[12]).toBe(3);
    expect(chart?.series[1]?.data.reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBe(2);
  });

  it('switches to days over the last 14 days once older runs are in the window', () => {
    const chart = runsOverTimeChart(
      [
        { hour: hour('2025-03-01T08:00:00Z'), status: 'failed', runs: 4 },
        { hour: hour('2025-03-01T09:00:00Z'), status: 'failed', runs: 1 },
        { hour: hour('2025-03-10T12:00:00Z'), status: 'succeeded', runs: 6 },
      ],
      now,
    );
    expect(chart?.labels).toHaveLength(14);
    expect(chart?.labels.at(-1)).toBe('03-10');
    expect(chart?.unit).toBe('runs per day (UTC)');
    expect(chart?.series.find((series) => series.label === 'failed')?.data[chart.labels.indexOf('03-01')]).toBe(5);
  });

  it('has no chart when nothing ran in the window', () => {
    expect(runsOverTimeChart([], now)).toBeNull();
    expect(runsOverTimeChart([{ hour: hour('2025-01-01T00:00:00Z'), status: 'succeeded', runs: 9 }], now)).toBeNull();
  });
});

describe('rowsPerBatchCharts', () => {
  const row = (batch: string, minute: number, entity: string, rows: number, system = 'TST01'): EntityBatchRows => ({
    batch_id: `0197000${batch}-0000-7000-8000-000000000000`,
    batch_timestamp: new Date(`2025-03-10T10:${String(minute).padStart(2, '0')}:00Z`),
    system_id: system,
    entity_id: entity,
    status: 'succeeded',
    records_in: rows,
    records_inserted: rows,
    records_rejected: 0,
  });

  it('makes one chart per system: a bar per batch in order, a series per entity, a gap where an entity did not run', () => {
    const charts = rowsPerBatchCharts(
      [row('1', 0, 'test_customer', 12), row('1', 0, 'test_product', 6), row('2', 15, 'test_customer', 14), row('3', 5, 'nightscout_entry', 288, 'NSC01')],
      'bronze',
    );
    expect(charts.map((chart) => chart.id)).toEqual(['rows-NSC01', 'rows-TST01']);
    const tst = charts[1];
    expect(tst?.labels).toEqual(['03-10 10:00:00', '03-10 10:15:00']);
    expect(tst?.series.map((series) => [series.label, series.data])).toEqual([
      ['test_customer', [12, 14]],
      ['test_product', [6, null]],
    ]);
    expect(tst?.unit).toBe('bronze rows written');
  });
});

describe('freshnessChart', () => {
  it('shows the age of each landed system beside what its schedule allows, coloured by state, in a readable unit', () => {
    const systems = [
      { system_id: 'TST01', freshness: freshness({ enabled: true, schedule: '*/15 * * * *', timezone: 'UTC', lastSuccessAt: hour('2025-03-10T12:30:00Z'), now }) },
      { system_id: 'NSC01', freshness: freshness({ enabled: true, schedule: '*/5 * * * *', timezone: 'UTC', lastSuccessAt: hour('2025-03-10T11:04:00Z'), now }) },
      { system_id: 'BNQ01', freshness: freshness({ enabled: true, schedule: '0 * * * *', timezone: 'UTC', lastSuccessAt: null, now }) },
    ];
    const chart = freshnessChart(systems, now);
    expect(chart?.horizontal).toBe(true);
    expect(chart?.unit).toBe('minutes');
    expect(chart?.labels).toEqual(['TST01 · fresh', 'NSC01 · late']);
    expect(chart?.series[0]?.data).toEqual([4, 90]);
    expect(chart?.series[0]?.color).toEqual(['#2da44e', '#cf222e']);
    // the next firing after the landing, plus 10 minutes' grace
    expect(chart?.series[1]?.data).toEqual([25, 11]);
  });

  it('counts in days when a system is days behind, and has no chart when nothing ever landed', () => {
    const late = freshness({ enabled: true, schedule: '0 6 * * *', timezone: 'UTC', lastSuccessAt: hour('2025-03-01T06:00:00Z'), now });
    expect(freshnessChart([{ system_id: 'BNQ01', freshness: late }], now)?.unit).toBe('days');
    expect(freshnessChart([{ system_id: 'BNQ01', freshness: freshness({ enabled: true, schedule: null, timezone: 'UTC', lastSuccessAt: null, now }) }], now)).toBeNull();
  });

  it('counts in seconds a landing of moments ago with no schedule, so its bar is not a zero', () => {
    const justNow = freshness({ enabled: true, schedule: null, timezone: 'UTC', lastSuccessAt: new Date(now.getTime() - 2_500), now });
    const chart = freshnessChart([{ system_id: 'TST01', freshness: justNow }], now);
    expect(chart?.unit).toBe('seconds');
    expect(chart?.series[0]?.data).toEqual([2.5]);
    expect(chart?.series[1]?.data).toEqual([null]);
  });
});

describe('gold charts', () => {
  it('draws daily glucose as the mean between the lowest and highest reading of each day', () => {
    const chart = dailyGlucoseChart('gold-glucose', [
      { day: '2025-03-09', mean_sgv: 131.5, min_sgv: 62, max_sgv: 240 },
      { day: '2025-03-10', mean_sgv: 118, min_sgv: 80, max_sgv: 190 },
    ]);
    expect(chart.labels).toEqual(['2025-03-09', '2025-03-10']);
    expect(chart.series.map((series) => [series.label, series.data])).toEqual([
      ['highest', [240, 190]],
      ['mean', [131.5, 118]],
      ['lowest', [62, 80]],
    ]);
  });

  it('draws monthly spending per month with money out and in per currency', () => {
    const chart = monthlySpendingChart('gold-spending', [
      { month: '2025-01-01', currency: 'EUR', total_out: 1200.5, total_in: 2500 },
      { month: '2025-02-01', currency: 'EUR', total_out: 980, total_in: 2500 },
      { month: '2025-02-01', currency: 'USD', total_out: 20, total_in: 0 },
    ]);
    expect(chart.labels).toEqual(['2025-01', '2025-02']);
    expect(chart.series.map((series) => [series.label, series.data])).toEqual([
      ['out EUR', [1200.5, 980]],
      ['in EUR', [2500, 2500]],
      ['out USD', [null, 20]],
      ['in USD', [null, 0]],
    ]);
    expect(chart.unit).toBe('amount per month');
  });
});
