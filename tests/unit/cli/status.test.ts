import { describe, expect, it } from 'vitest';
import { groupFailures } from '../../../shared/cli/batch-report.ts';
import { rerunCommand } from '../../../shared/core/rerun-command.ts';
import { duration, problemsOf, statusLines } from '../../../shared/cli/status-command.ts';
import type { DashboardOverview } from '../../../shared/layers/dashboard/dashboard-overview.ts';
import type { FailedWork } from '../../../shared/runs/audit-queries.ts';

const NOW = new Date('2025-01-01T12:00:00Z');
const minutesAgo = (minutes: number): Date => new Date(NOW.getTime() - minutes * 60_000);

function failure(batch: string, minutes: number, changes: Partial<FailedWork> = {}): FailedWork {
  return {
    level: 'system', run_id: `run-${batch}`, batch_id: `0194${batch}-0000-7000-8000-000000000000`, batch_timestamp: minutesAgo(minutes),
    system_id: 'NSC01', layer: null, entity_id: null, attempt: 3, call_id: null, error: 'getaddrinfo ENOTFOUND nightscout.example.org\n  at …',
    started_at: minutesAgo(minutes), finished_at: minutesAgo(minutes), ...changes,
  };
}

function overview(changes: Partial<DashboardOverview> = {}): DashboardOverview {
  return {
    generated_at: NOW,
    metadata: { generation: 'gen-7', deployed_at: minutesAgo(600) },
    system_id: null,
    systems: [
      { system_id: 'TST01', name: 'Test', type: 'jsonfile', enabled: true, schedule: '*/15 * * * *', latest: null, freshness: { state: 'fresh', last_success_at: minutesAgo(5), due_by: new Date(NOW.getTime() + 20 * 60_000), late_seconds: 0 } },
      { system_id: 'NSC01', name: 'CGM', type: 'nightscout', enabled: true, schedule: '*/5 * * * *', latest: null, freshness: { state: 'late', last_success_at: minutesAgo(100), due_by: minutesAgo(85), late_seconds: 85 * 60 } },
    ],
    stuck: { runs: [], messages: [], layers: [] },
    failed: [],
    batches: [],
    gold: [],
    actions: [],
    runs_per_hour: [],
    rows_per_batch: [],
    gold_figures: [],
    ...changes,
  };
}

describe('rerunCommand', () => {
  it('names the batch, the layer and the entity; a landing without entity', () => {
    expect(rerunCommand({ batch_id: 'b-1', layer: 'bronze', entity_id: 'test_customer' })).toBe('npx dataplatform rerun b-1 --layer bronze --entity test_customer');
    expect(rerunCommand({ batch_id: 'b-1', layer: null, entity_id: null })).toBe('npx dataplatform rerun b-1 --layer landing');
  });
});

describe('groupFailures', () => {
  it('shows the same work failing the same way once, with how many batches, newest first', () => {
    const groups = groupFailures([
      failure('0003', 1),
      failure('0002', 6),
      failure('0001', 11, { error: 'secret "nightscout/api_secret" not found' }),
      failure('0002', 6, { level: 'entity', layer: 'bronze', entity_id: 'entries' }),
    ]);
    expect(groups.map((group) => [group.latest.batch_id.slice(0, 8), group.latest.layer, group.batches])).toEqual([
      ['01940003', null, 2],
      ['01940001', null, 1],
      ['01940002', 'bronze', 1],
    ]);
  });
});

describe('status', () => {
  it('names what needs a look: a late system, failed and stuck work', () => {
    expect(problemsOf(overview({ failed: [failure('0003', 1)] }))).toEqual(['NSC01 is late by 85 min', '1 piece(s) of work failed']);
    expect(problemsOf(overview({ systems: [] }))).toEqual([]);
  });

  it('shows one screen: systems with freshness, failures grouped with the command that reruns the newest', () => {
    const lines = statusLines(overview({ failed: [failure('0003', 1), failure('0002', 6)] }), ['NSC01 is late by 85 min']);
    expect(lines[0]).toBe('Dataplatform · 2025-01-01 12:00:00 UTC · metadata generation gen-7');
    expect(lines).toContainEqual(expect.stringMatching(/^TST01 +jsonfile +\*\/15 \* \* \* \* +never ran +fresh \(next landing due in 20 min\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^NSC01 .* LATE by 85 min$/));
    expect(lines).toContain('  NSC01 landing in 2 batches, 60 s ago (attempt 3): getaddrinfo ENOTFOUND nightscout.example.org');
    expect(lines).toContain('    rerun the newest: npx dataplatform rerun 01940003-0000-7000-8000-000000000000 --layer landing');
    expect(lines.at(-1)).toBe('needs a look: NSC01 is late by 85 min');
  });

  it('reads spans at a glance', () => {
    expect([duration(45), duration(600), duration(5 * 3600), duration(3 * 86_400)]).toEqual(['45 s', '10 min', '5.0 h', '3.0 d']);
  });
});
