import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { Action } from '../../../shared/metadata/action-schema.ts';
import { Entity } from '../../../shared/metadata/entity-schema.ts';
import { System } from '../../../shared/metadata/system-schema.ts';

/**
 * Metadata in memory for runtime and scheduler tests: each record parsed with its schema (defaults filled in),
 * without the cross-file checks and models a deploy needs, which these tests do not exercise.
 */
export function testMetadata(records: { systems?: unknown[]; entities?: unknown[]; actions?: unknown[] }): LoadedMetadata {
  return {
    systems: (records.systems ?? []).map((record) => System.parse(record)),
    entities: (records.entities ?? []).map((record) => Entity.parse(record)),
    actions: (records.actions ?? []).map((record) => Action.parse(record)),
    hash: 'test',
    models: {},
    generation: 'test',
    deployed_at: new Date('2025-01-01T00:00:00Z'),
  };
}

/** A JSON-file system record (the connector type needs no secrets). */
export function jsonFileSystem(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `System ${id}`, type: 'jsonfile', connection: { path: `.local/jsonfile/${id}` }, ...fields };
}

/** A bronze/silver entity record of a system, read as-is from its landing collection. */
export function asIsEntity(id: string, systemId: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    system_id: systemId,
    kind: 'bronze_silver',
    load_type: 'full',
    landing_entity: id,
    processor: { name: 'as_is' },
    model: id,
    ...fields,
  };
}
