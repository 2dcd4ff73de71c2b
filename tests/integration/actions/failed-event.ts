/** The event the action tests react to: bronze failed for one TST01 entity, with `error` as its reason. */
import { v7 as uuidv7 } from 'uuid';
import type { EntityLayerProcessedEvent } from '../../../shared/runtime/payloads.ts';

export function failedEvent(error: string): EntityLayerProcessedEvent {
  return {
    event: 'entity-layer-processed',
    layer: 'bronze',
    system_id: 'TST01',
    entity_id: 'test_customer',
    batch_id: uuidv7(),
    batch_timestamp: '2025-01-01T06:00:00.000Z',
    status: 'failed',
    run_id: uuidv7(),
    finished_at: '2025-01-01T06:00:05.000Z',
    error,
    counts: { records_in: 12, records_inserted: 0, records_updated: 0, records_deleted: 0, records_rejected: 12, records_unchanged: 0 },
  };
}
