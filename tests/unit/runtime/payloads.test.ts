import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../../shared/handler.ts';
import {
  ActionRequest,
  EntityLayerRequest,
  GoldRequest,
  LandingRequest,
  MAX_CHAINED_PAYLOAD_BYTES,
  payloadSchemaFor,
  SchedulerRequest,
  SilverRequest,
} from '../../../shared/runtime/payloads.ts';

const UUID = '0190f1f6-3c4e-7a7b-8c9d-0123456789ab';
/** The longest identifier the naming rule allows (63 bytes). */
const LONGEST_ID = `a${'_b'.repeat(31)}`;
const LONGEST_CALL_ID = 'c'.repeat(200);
const INSTANT = '2025-01-01T06:00:00.000+01:00';
const BIG_COUNT = Number.MAX_SAFE_INTEGER;

const issuesOf = (schema: { safeParse(value: unknown): { success: boolean; error?: { issues: readonly { message: string; path?: PropertyKey[] }[] } } }, value: unknown) =>
  schema.safeParse(value).error?.issues.map(formatIssue) ?? [];

describe('chained payloads', () => {
  it('fill in force: false and keep only references', () => {
    expect(EntityLayerRequest.parse({ batch_id: UUID, system_id: 'TST01', entity_id: 'test_customer' })).toEqual({
      batch_id: UUID,
      system_id: 'TST01',
      entity_id: 'test_customer',
      force: false,
    });
    expect(LandingRequest.parse({ system_id: 'NSC01', window: { start: INSTANT } })).toEqual({ system_id: 'NSC01', window: { start: INSTANT }, force: false });
    expect(GoldRequest.parse({ gold_entity_id: 'daily_glucose' })).toEqual({ gold_entity_id: 'daily_glucose', force: false });
  });

  it.each([
    ['data in a bronze call', EntityLayerRequest, { batch_id: UUID, system_id: 'TST01', entity_id: 'e', records: [] }, ['(root): Unrecognized key: "records"']],
    ['a batch id that is not a UUID', EntityLayerRequest, { batch_id: '42', system_id: 'TST01', entity_id: 'e' }, ['batch_id: Invalid UUID']],
    ['a timestamp without offset', LandingRequest, { system_id: 'TST01', batch_timestamp: '2025-01-01T06:00:00' }, ['batch_timestamp: Invalid ISO datetime']],
    ['an oversized call id', GoldRequest, { gold_entity_id: 'g', parent_call_id: 'c'.repeat(201) }, ['parent_call_id: Too big: expected string to have <=200 characters']],
    ['a window that ends before it starts', LandingRequest, { system_id: 'NSC01', window: { start: '2025-02-01T00:00:00Z', end: '2025-01-01T00:00:00Z' } }, ['window.start: start must be before end']],
    ['a window of centuries', LandingRequest, { system_id: 'NSC01', window: { start: '1900-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' } }, ['window.end: a window covers at most 7320 days']],
    ['a window ending next year', LandingRequest, { system_id: 'NSC01', window: { end: '2999-01-01T00:00:00Z' } }, ['window.end: end is more than a day in the future']],
    ['a body for the scheduler', SchedulerRequest, { force: true }, ['(root): Unrecognized key: "force"']],
  ])('refuse %s', (_case, schema, value, issues) => {
    expect(issuesOf(schema, value)).toEqual(issues);
  });

  it('stay far below the 256,000-byte async limit at their largest', () => {
    const largest = {
      landing: LandingRequest.parse({ system_id: 'ABC99', batch_id: UUID, batch_timestamp: INSTANT, window: { start: INSTANT, end: '2025-01-02T06:00:00.000+01:00' }, force: true, parent_call_id: LONGEST_CALL_ID }),
      layer: EntityLayerRequest.parse({ batch_id: UUID, system_id: 'ABC99', entity_id: LONGEST_ID, force: true, parent_call_id: LONGEST_CALL_ID }),
      gold: GoldRequest.parse({ gold_entity_id: LONGEST_ID, batch_id: UUID, force: true, parent_call_id: LONGEST_CALL_ID }),
      entityAction: ActionRequest.parse({
        action_id: LONGEST_ID,
        parent_call_id: LONGEST_CALL_ID,
        event: {
          event: 'entity-layer-processed',
          layer: 'silver',
          system_id: 'ABC99',
          entity_id: LONGEST_ID,
          batch_id: UUID,
          batch_timestamp: INSTANT,
          status: 'failed',
          run_id: UUID,
          finished_at: INSTANT,
          error: '€'.repeat(1000), // 3 bytes each in UTF-8
          counts: {
            records_in: BIG_COUNT,
            records_inserted: BIG_COUNT,
            records_updated: BIG_COUNT,
            records_deleted: BIG_COUNT,
            records_rejected: BIG_COUNT,
            records_unchanged: BIG_COUNT,
          },
        },
      }),
      systemAction: ActionRequest.parse({
        action_id: LONGEST_ID,
        parent_call_id: LONGEST_CALL_ID,
        event: {
          event: 'system-layer-processed',
          layer: 'gold',
          system_id: 'ABC99',
          batch_id: UUID,
          batch_timestamp: INSTANT,
          status: 'succeeded',
          run_id: UUID,
          finished_at: INSTANT,
          counts: { entities_expected: BIG_COUNT, entities_succeeded: BIG_COUNT, entities_failed: BIG_COUNT, entities_skipped: BIG_COUNT },
        },
      }),
    };
    for (const [name, payload] of Object.entries(largest)) {
      const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
      expect(bytes, name).toBeLessThan(MAX_CHAINED_PAYLOAD_BYTES);
    }
    expect(MAX_CHAINED_PAYLOAD_BYTES * 10).toBeLessThan(256_000);
  });

  it.each([
    ['bronze', EntityLayerRequest],
    ['silver', SilverRequest],
    ['gold', GoldRequest],
    ['scheduler', SchedulerRequest],
    ['connector-nightscout', LandingRequest],
    ['action-webhook', ActionRequest],
    ['dashboard', undefined],
  ])('name the schema of calls to %s', (target, schema) => {
    expect(payloadSchemaFor(target)).toBe(schema);
  });
});
