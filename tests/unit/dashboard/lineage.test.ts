import { describe, expect, it } from 'vitest';
import type { FunctionLogMessage } from '../../../shared/adapters/gateway/function-logs.ts';
import { groupCallLogs } from '../../../shared/layers/dashboard/call-logs.ts';
import { lineageCalls, type LineageView } from '../../../shared/layers/dashboard/lineage-view.ts';
import { renderLineagePage } from '../../../shared/layers/dashboard/render-lineage.ts';
import type { BatchLineage } from '../../../shared/runs/batch-lineage.ts';
import type { EntityLayerRun, SystemRun } from '../../../shared/runs/run-types.ts';

const BATCH = '01970000-0000-7000-8000-000000000001';
const at = (second: number): Date => new Date(Date.UTC(2025, 0, 1, 6, 0, second));

const message = (record: Record<string, unknown> | string): FunctionLogMessage => ({
  name: 'bronze',
  namespace: 'openfaas-fn',
  instance: 'bronze',
  timestamp: '2025-01-01T06:00:00.000Z',
  text: typeof record === 'string' ? record : JSON.stringify(record),
});

describe('groupCallLogs', () => {
  it("keeps each asked call's pino records, oldest first, without the fields every line of the call carries", () => {
    const logs = groupCallLogs(
      [
        message('2025/01/01 06:00:00 POST / - 200 OK'),
        message({ level: 'info', time: '2025-01-01T06:00:01.000Z', function: 'bronze', call_id: 'c1', batch_id: BATCH, entity_id: 'e', msg: 'bronze entity loaded', records_in: 12 }),
        message({ level: 'info', time: '2025-01-01T06:00:01.500Z', call_id: 'other', msg: 'not asked for' }),
        message({ level: 'error', time: '2025-01-01T06:00:02.000Z', call_id: 'c1', msg: 'function work failed', err: { type: 'DataRejectedError', message: 'key_unique failed', stack: 'at …' } }),
      ],
      new Set(['c1', 'c2']),
    );
    expect(logs).toEqual({
      c1: {
        lines: [
          { time: '2025-01-01T06:00:01.000Z', level: 'info', msg: 'bronze entity loaded', fields: { records_in: 12 } },
          { time: '2025-01-01T06:00:02.000Z', level: 'error', msg: 'function work failed', fields: { err: 'DataRejectedError: key_unique failed' } },
        ],
        omitted: 0,
      },
    });
  });

  it('keeps at most the given number of lines of a call and counts the rest', () => {
    const lines = Array.from({ length: 5 }, (_, index) => message({ level: 'debug', time: `2025-01-01T06:00:0${index}.000Z`, call_id: 'c1', msg: `line ${index}` }));
    const logs = groupCallLogs(lines, new Set(['c1']), 3);
    expect(logs.c1?.lines.map((line) => line.msg)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(logs.c1?.omitted).toBe(2);
  });
});

const runRow = {
  batch_id: BATCH, batch_timestamp: at(0), system_id: 'TST01', parent_call_id: null, force: false, attempt: 1,
  timeout_seconds: 50, took_over_run_id: null, duplicate_of_run_id: null, skip_reason: null, error: null,
};
const counts = { records_in: 0, records_inserted: 0, records_updated: 0, records_deleted: 0, records_rejected: 0, records_unchanged: 0 };
const landing: SystemRun = {
  ...runRow, run_id: 'r0', call_id: 'land-1', status: 'succeeded', started_at: at(0), finished_at: at(2),
  entities_succeeded: 2, entities_failed: 1, entities_skipped: 0,
};
const entityRun = (layer: EntityLayerRun['layer'], entity: string, second: number, changes: Partial<EntityLayerRun> = {}): EntityLayerRun => ({
  ...runRow, ...counts, run_id: `${layer}-${entity}-${second}`, call_id: `${layer}-${entity}-${second}`, layer, entity_id: entity,
  system_layer_run_id: 'l', system_run_id: 'r0', status: 'succeeded', started_at: at(second), finished_at: at(second + 1), ...changes,
});
const lineage: BatchLineage = {
  landings: [landing],
  layers: [
    { run_id: 'l1', batch_id: BATCH, batch_timestamp: at(0), system_id: 'TST01', layer: 'bronze', system_run_id: 'r0', call_id: null, status: 'failed', entities_expected: 2, entities_succeeded: 1, entities_failed: 1, entities_skipped: 0, started_at: at(3), finished_at: at(6) },
  ],
  entity_runs: [
    entityRun('landing', 'customers', 1, { call_id: 'land-1', records_in: 12, records_inserted: 12 }),
    entityRun('bronze', 'test_customer', 3, { records_in: 12, records_inserted: 12 }),
    entityRun('bronze', 'test_customer_order', 4, { status: 'failed', error: 'check key_unique failed: 2 duplicate keys <b>', records_in: 12 }),
    entityRun('bronze', 'test_customer_order', 5, { status: 'skipped', duplicate_of_run_id: 'x', skip_reason: 'already_running' }),
  ],
  checks: [
    {
      check_result_id: 'k1', batch_id: BATCH, batch_timestamp: at(0), entity_id: 'test_customer_order', entity_layer_run_id: null, call_id: null,
      check_name: 'key_unique', observed: 2, expected: '0', passed: false, details: { severity: 'error' }, checked_at: at(4),
    },
  ],
};

describe('lineageCalls', () => {
  it("lists each call once, in the order they started, with the function that ran it (the system's connector for landing)", () => {
    const calls = lineageCalls(lineage, 'jsonfile');
    expect(calls.map((call) => [call.function, call.call_id, call.entity_id])).toEqual([
      ['connector-jsonfile', 'land-1', null],
      ['bronze', 'bronze-test_customer-3', 'test_customer'],
      ['bronze', 'bronze-test_customer_order-4', 'test_customer_order'],
      ['bronze', 'bronze-test_customer_order-5', 'test_customer_order'],
    ]);
  });

  it('leaves out landing calls when the system is unknown to metadata', () => {
    expect(lineageCalls(lineage, null).map((call) => [call.function, call.entity_id])).toEqual([
      ['bronze', 'test_customer'],
      ['bronze', 'test_customer_order'],
      ['bronze', 'test_customer_order'],
    ]);
  });
});

describe('renderLineagePage', () => {
  const view = (logs: LineageView['logs']): LineageView => ({
    generated_at: at(10),
    batch_id: BATCH,
    system: { system_id: 'TST01', name: 'Test system', type: 'jsonfile' },
    lineage,
    calls: lineageCalls(lineage, 'jsonfile'),
    logs,
  });

  it("shows each layer's entities with their counts, the failure with its rerun command, the checks and each call's log", () => {
    const page = renderLineagePage(
      view({
        state: 'read',
        problems: [],
        calls: { 'bronze-test_customer-3': { lines: [{ time: '2025-01-01T06:00:03.120Z', level: 'info', msg: 'bronze entity loaded', fields: { records_in: 12 } }], omitted: 0 } },
      }),
    );
    expect(page).toContain('<li><span>customers<br><span class="st succeeded">succeeded</span></span><span><span class="count">12</span> in<br><span class="meta">12 inserted</span></span></li>');
    expect(page).toContain('check key_unique failed: 2 duplicate keys &lt;b&gt;');
    expect(page).toContain(`npx dataplatform rerun ${BATCH} --layer bronze --entity test_customer_order</code>`);
    expect(page).toContain('<td>key_unique</td><td><span class="st failed">failed</span></td><td>error</td><td><code>2</code></td><td><code>&quot;0&quot;</code></td>');
    expect(page).toContain('<div class="info">06:00:03.120 INFO  bronze entity loaded <span class="meta">records_in=12</span></div>');
    expect(page).not.toMatch(/<script|style="/);
  });

  it('says how to enable the logs when the dashboard has no gateway password', () => {
    const page = renderLineagePage(view({ state: 'disabled' }));
    expect(page).toContain('Function logs are not shown: the dashboard has no gateway password.');
    expect(page).toContain('faas-cli secret create dataplatform-gateway-password');
  });
});
