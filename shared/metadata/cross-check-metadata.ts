import type { ColumnType, EntityModel } from '../core/entity-model.ts';
import { findCollidingSecretKeys } from '../secrets/secret-location.ts';
import { collectSecretKeys } from '../secrets/secret-ref.ts';
import type { Action } from './action-schema.ts';
import { entityTable, type Entity } from './entity-schema.ts';
import { formatIssue } from './metadata-issue.ts';
import { processorColumns } from './processor-schema.ts';
import { qualityColumns } from './quality-schema.ts';
import { LOOKBACK_SYSTEM_TYPES, type System } from './system-schema.ts';

/** The records that passed their schemas, and every id each file declares (valid or not). */
export interface CrossCheckInput {
  readonly systems: readonly System[];
  readonly entities: readonly Entity[];
  readonly actions: readonly Action[];
  readonly declared: { readonly systems: ReadonlySet<string>; readonly entities: ReadonlySet<string> };
  /** Whether every record of the file passed its schema (else "nothing emits this event" cannot be known). */
  readonly complete: { readonly systems: boolean; readonly entities: boolean };
  /** Models that describe cleanly, by name. */
  readonly models: Readonly<Record<string, EntityModel>>;
  /** Every model name in the registry (including broken ones, whose own problems are reported elsewhere). */
  readonly modelNames: ReadonlySet<string>;
}

/**
 * The rules that span records and files: references resolve (systems, models, gold sources, action filters),
 * processors and checks name model columns, no two entities write one table, every subscribed event is emitted,
 * no two secret keys share a file or variable name. A reference to a declared but invalid record is not
 * reported again: that record's own problem already is.
 */
export function crossCheckMetadata(input: CrossCheckInput): string[] {
  return [...checkEntities(input), ...checkTables(input.entities), ...checkActions(input), ...checkSecretKeys(input)];
}

function checkEntities(input: CrossCheckInput): string[] {
  const issues: string[] = [];
  const entitiesById = new Map(input.entities.map((entity) => [entity.id, entity]));
  for (const entity of input.entities) {
    const at = (path: PropertyKey[], message: string) => issues.push(formatIssue('entities.json', entity.id, path, message));
    if (!input.declared.systems.has(entity.system_id)) at(['system_id'], `unknown system "${entity.system_id}"`);
    const model = input.models[entity.model];
    if (!input.modelNames.has(entity.model)) {
      at(['model'], `unknown model "${entity.model}" (metadata/models/index.ts exports: ${[...input.modelNames].join(', ')})`);
    }
    if (model) {
      const columns = new Set(model.columns.map((column) => column.name));
      const missing = (column: string) => !columns.has(column);
      if (entity.kind === 'bronze_silver') {
        for (const column of processorColumns(entity.processor).filter(missing)) {
          at(['processor'], `column "${column}" is not in model "${model.name}"`);
        }
      }
      for (const column of qualityColumns(entity.quality).filter(missing)) {
        at(['quality'], `column "${column}" is not in model "${model.name}"`);
      }
      if (entity.kind === 'bronze_silver' && entity.tombstone) {
        const problem = tombstoneProblem(model, entity.tombstone.column, entity.tombstone.equals);
        if (problem) at(['tombstone'], problem);
      }
    }
    if (entity.kind === 'bronze_silver' && entity.lookback) {
      const system = input.systems.find((candidate) => candidate.id === entity.system_id);
      if (system && !LOOKBACK_SYSTEM_TYPES.includes(system.type)) {
        at(['lookback'], `the ${system.type} connector of ${system.id} cannot re-read a span; look-back works with ${LOOKBACK_SYSTEM_TYPES.join(', ')} systems (docs/connectors/README.md)`);
      }
    }
    if (entity.kind === 'gold') {
      entity.sources.forEach((source, index) => {
        const target = entitiesById.get(source);
        if (target?.kind === 'gold') at(['sources', index], `"${source}" is a gold entity; gold reads bronze_silver entities`);
        else if (!target && !input.declared.entities.has(source)) at(['sources', index], `unknown entity "${source}"`);
      });
    }
  }
  return issues;
}

const TOMBSTONE_VALUE_TYPES: Readonly<Record<'string' | 'number' | 'boolean', readonly ColumnType[]>> = {
  string: ['text'],
  number: ['integer', 'bigint', 'numeric', 'double'],
  boolean: ['boolean'],
};

/** Why a tombstone rule cannot work on a model, or undefined when it can. */
function tombstoneProblem(model: EntityModel, column: string, equals: string | number | boolean): string | undefined {
  const spec = model.columns.find((candidate) => candidate.name === column);
  if (!spec) return `column "${column}" is not in model "${model.name}"`;
  if (spec.key) return `column "${column}" is a key column; a tombstone is told by another column`;
  const kind = typeof equals as 'string' | 'number' | 'boolean';
  if (!TOMBSTONE_VALUE_TYPES[kind].includes(spec.type)) {
    return `column "${column}" is ${spec.type}; it cannot equal the ${kind} ${JSON.stringify(equals)}`;
  }
  if (kind === 'number' && (spec.type === 'integer' || spec.type === 'bigint') && !Number.isInteger(equals)) {
    return `column "${column}" is ${spec.type}; it cannot equal ${String(equals)}`;
  }
  return undefined;
}

/** Bronze/silver tables share one namespace per layer schema, gold tables another. */
function checkTables(entities: readonly Entity[]): string[] {
  const issues: string[] = [];
  const owners = new Map<string, string>();
  for (const entity of entities) {
    const table = `${entity.kind}:${entityTable(entity)}`;
    const owner = owners.get(table);
    if (owner === undefined) owners.set(table, entity.id);
    else {
      const path = entity.table === undefined ? ['id'] : ['table'];
      issues.push(formatIssue('entities.json', entity.id, path, `table "${entityTable(entity)}" is also written by entity "${owner}"`));
    }
  }
  return issues;
}

const ENTITY_LAYERS = { bronze_silver: ['bronze', 'silver'], gold: ['gold'] } as const;

function checkActions(input: CrossCheckInput): string[] {
  const issues: string[] = [];
  for (const action of input.actions) {
    const at = (path: PropertyKey[], message: string) => issues.push(formatIssue('actions.json', action.id, path, message));
    const { event, system_id, entity_id, layers } = action.on;
    if (system_id !== undefined && !input.declared.systems.has(system_id)) at(['on', 'system_id'], `unknown system "${system_id}"`);
    if (entity_id !== undefined && !input.declared.entities.has(entity_id)) at(['on', 'entity_id'], `unknown entity "${entity_id}"`);
    if (event === 'entity-layer-processed') {
      if (layers?.includes('landing')) at(['on', 'layers'], 'entities are not processed in landing; use system-layer-processed');
      const emitters = input.entities.filter(
        (entity) =>
          entity.events.includes(event) &&
          (system_id === undefined || entity.system_id === system_id) &&
          (entity_id === undefined || entity.id === entity_id) &&
          (layers === undefined || layers.some((layer) => (ENTITY_LAYERS[entity.kind] as readonly string[]).includes(layer))),
      );
      if (emitters.length === 0 && input.complete.entities && (entity_id === undefined || input.declared.entities.has(entity_id))) {
        at(['on', 'event'], `no entity matching this filter emits "${event}" (list it in the entity's "events")`);
      }
    } else {
      if (entity_id !== undefined) at(['on', 'entity_id'], `"${event}" is a system event; filter on system_id`);
      const emitters = input.systems.filter(
        (system) => system.events.includes(event) && (system_id === undefined || system.id === system_id),
      );
      if (emitters.length === 0 && input.complete.systems && (system_id === undefined || input.declared.systems.has(system_id))) {
        at(['on', 'event'], `no system matching this filter emits "${event}" (list it in the system's "events")`);
      }
    }
  }
  return issues;
}

function checkSecretKeys(input: CrossCheckInput): string[] {
  const keys = collectSecretKeys([input.systems, input.actions]);
  return findCollidingSecretKeys(keys).map(
    ([first, second]) =>
      `secrets: keys "${first}" and "${second}" map to the same environment variable and file name; rename one`,
  );
}
