import type { JsonValue } from '../../core/json.ts';
import type { Connector } from '../landing/connector.ts';
import type { SystemType } from '../../metadata/system-schema.ts';

/**
 * A connector over records a webhook received (a push): it lands exactly those records in one landing entity,
 * and leaves the system's cursor alone (a push says nothing about where the next pull starts).
 */
export function pushedRecordsConnector<Type extends SystemType>(type: Type, landing_entity: string, records: readonly JsonValue[]): Connector<Type> {
  return {
    type,
    openBatch: () =>
      Promise.resolve({
        kind: 'records',
        description: `webhook push of ${records.length} ${landing_entity} records`,
        records: (async function* () {
          for (const record of records) yield { landing_entity, record };
        })(),
        nextCursor: () => undefined,
      }),
  };
}
