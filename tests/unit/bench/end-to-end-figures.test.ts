import { describe, expect, it } from 'vitest';
import { batchFigure, EndToEndFigure, formatEndToEnd, summariseEndToEnd, type BatchAudit } from '../../../dev/bench/end-to-end-figures.ts';

const INVOKED = Date.parse('2026-12-02T03:00:00.000Z');
/** An instant `seconds` after the invoke. */
const at = (seconds: number): Date => new Date(INVOKED + seconds * 1000);

const run = (layer: 'bronze' | 'silver' | 'gold', call: string, started: number, finished: number, duplicate_of_run_id: string | null = null) => ({
  layer,
  call_id: call,
  started_at: at(started),
  finished_at: at(finished),
  duplicate_of_run_id,
});

/**
 * A batch as CE's one-call-at-a-time queue runs it: landing 0.1–2 s; two bronze calls handed over at 2 s (the second
 * waits for the first); silver's call handed over when its bronze entity finished; gold after silver.
 */
function audit(overrides: Partial<BatchAudit> = {}): BatchAudit {
  return {
    batch: 'batch-0002',
    batch_id: '01a23aaa-0000-7000-8000-000000000001',
    invoked_at: at(0),
    landings: [{ started_at: at(0.1), finished_at: at(2), duplicate_of_run_id: null }],
    entity_runs: [
      { layer: 'landing', call_id: 'landing-call', started_at: at(0.2), finished_at: at(1.9), duplicate_of_run_id: null },
      run('bronze', 'b1', 2.5, 5),
      run('bronze', 'b2', 5, 9),
      // A second delivery of b2's work, skipped as a duplicate: a call, but not the work.
      run('bronze', 'b2-again', 9, 9.01, 'run-of-b2'),
      run('silver', 's1', 9.2, 10),
      run('gold', 'g1', 10.5, 11),
    ],
    calls: [
      { delivered_call_id: 'b1', delivered_at: at(2.1) },
      { delivered_call_id: 'b2', delivered_at: at(2.1) },
      { delivered_call_id: 'b2-again', delivered_at: at(8) },
      { delivered_call_id: 's1', delivered_at: at(5.1) },
      { delivered_call_id: 'g1', delivered_at: at(10.1) },
      // Announced, never delivered: no wait to count.
      { delivered_call_id: null, delivered_at: null },
    ],
    counts: [
      { layer: 'landing', records_in: 30 },
      { layer: 'bronze', records_in: 30 },
      { layer: 'silver', records_in: 75 },
      { layer: 'gold', records_in: 12 },
    ],
    ...overrides,
  };
}

describe('batchFigure', () => {
  it('times the batch from the invoke to the end of its last gold run', () => {
    const figure = batchFigure(audit());
    expect(figure).toMatchObject({ batch: 'batch-0002', rows: 30, seconds: 11 });
  });

  it('times landing as the connector call, queued from the invoke', () => {
    expect(batchFigure(audit()).layers.landing).toEqual({
      calls: 1,
      rows_in: 30,
      start_seconds: 0.1,
      end_seconds: 2,
      wall_seconds: 1.9,
      run_seconds: 1.9,
      queue_wait_first_seconds: 0.1,
      queue_wait_max_seconds: 0.1,
    });
  });

  it("spans a layer's runs, adds their durations, and reads each call's queue wait from its hand-over", () => {
    expect(batchFigure(audit()).layers.bronze).toEqual({
      calls: 2,
      rows_in: 30,
      start_seconds: 2.5,
      end_seconds: 9,
      wall_seconds: 6.5,
      run_seconds: 6.5,
      // The first call waited 0.4 s; the second, handed over with it, waited for the first to run.
      queue_wait_first_seconds: 0.4,
      queue_wait_max_seconds: 2.9,
    });
    expect(batchFigure(audit()).layers.silver).toMatchObject({ calls: 1, queue_wait_first_seconds: 4.1, queue_wait_max_seconds: 4.1 });
    expect(batchFigure(audit()).layers.gold).toMatchObject({ calls: 1, start_seconds: 10.5, end_seconds: 11, queue_wait_first_seconds: 0.4 });
  });

  it('fails when the chain did not reach gold', () => {
    const withoutGold = audit();
    expect(() => batchFigure({ ...withoutGold, entity_runs: withoutGold.entity_runs.filter((each) => each.layer !== 'gold') })).toThrow(
      'end to end: batch-0002 (batch 01a23aaa-0000-7000-8000-000000000001) has no finished gold run',
    );
  });
});

describe('summariseEndToEnd', () => {
  const figureOf = (batch: string, slower: number) => {
    const base = audit();
    return batchFigure({ ...base, batch, entity_runs: base.entity_runs.map((each) => (each.layer === 'gold' ? { ...each, finished_at: at(11 + slower) } : each)) });
  };

  it('reports the median batch with its layers, every batch, and the first batch apart', () => {
    const first = figureOf('batch-0001', 20);
    const summary = summariseEndToEnd({ system: 'TST01', scale: 100, first, measured: [figureOf('batch-0002', 4), figureOf('batch-0003', 0), figureOf('batch-0004', 9)] });
    expect(summary).toMatchObject({ system: 'TST01', scale: 100, batches: 3, batch: 'batch-0002', rows: 30, seconds: 15, first_batch: { batch: 'batch-0001', seconds: 31 } });
    expect(summary.layers.gold.end_seconds).toBe(15);
    expect(summary.runs.map((each) => each.batch)).toEqual(['batch-0002', 'batch-0003', 'batch-0004']);
    expect(EndToEndFigure.parse(summary)).toEqual(summary);
  });

  it('takes the lower middle batch of an even count', () => {
    const summary = summariseEndToEnd({ system: 'TST01', scale: 1, first: figureOf('batch-0001', 0), measured: [figureOf('batch-0002', 4), figureOf('batch-0003', 2)] });
    expect([summary.batch, summary.seconds]).toEqual(['batch-0003', 13]);
  });

  it('prints the median, each layer and each batch', () => {
    const summary = summariseEndToEnd({ system: 'TST01', scale: 100, first: figureOf('batch-0001', 20), measured: [figureOf('batch-0002', 0)] });
    const text = formatEndToEnd(summary);
    expect(text).toContain('end to end: TST01 at --scale 100, faas-cli invoke of the connector → last gold row; median of 1 batch(es) (batch-0002): 11 s, 30 records landed');
    expect(text).toMatch(/^bronze\s+2\s+30\s+2\.5\s+9\s+6\.5\s+6\.5\s+0\.4\s+2\.9$/m);
    expect(text).toMatch(/^batch-0001\s+30\s+31\s+first batch/m);
  });
});
