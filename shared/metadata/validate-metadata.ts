import type * as z from 'zod';
import { InvalidPayloadError } from '../errors.ts';
import { Action } from './action-schema.ts';
import { checkModels } from './check-models.ts';
import { contentHash } from './content-hash.ts';
import { crossCheckMetadata } from './cross-check-metadata.ts';
import { Entity } from './entity-schema.ts';
import { METADATA_FILES, type MetadataKind, type MetadataSet, type ValidatedMetadata } from './metadata-set.ts';
import type { ModelRegistry } from './model-dsl.ts';
import { parseMetadataFile, parseMetadataRecords, type ParsedFile } from './parse-metadata-file.ts';
import { System } from './system-schema.ts';

/** The text of each metadata file; `undefined` when the file is missing. */
export type MetadataTexts = Readonly<Record<MetadataKind, string | undefined>>;

/** Metadata that failed validation; `issues` holds every problem, each naming file, record and path. */
export class MetadataValidationError extends InvalidPayloadError {
  constructor(issues: readonly string[]) {
    super(`metadata is invalid (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${issues.join('\n')}`, issues);
  }
}

/** The outcome of a validation: the metadata, or every problem found. */
export type MetadataValidation =
  | { readonly ok: true; readonly metadata: ValidatedMetadata }
  | { readonly ok: false; readonly issues: string[] };

/**
 * Validates the three files and the models together: each record against its schema, then the cross-file rules.
 * All problems of all files are collected; nothing is returned unless there are none.
 */
export function validateMetadata(texts: MetadataTexts, registry: ModelRegistry): MetadataValidation {
  return validateParsed(
    (kind, schema) => {
      const text = texts[kind];
      return text === undefined ? missingFile(kind) : parseMetadataFile(METADATA_FILES[kind], text, schema);
    },
    registry,
  );
}

/** The same checks on JSON values already read (metadata as read back from MongoDB). */
export function validateMetadataRecords(values: Readonly<Record<MetadataKind, unknown>>, registry: ModelRegistry): MetadataValidation {
  return validateParsed((kind, schema) => parseMetadataRecords(METADATA_FILES[kind], values[kind], schema), registry);
}

type ParseKind = <S extends z.ZodType>(kind: MetadataKind, schema: S) => ParsedFile<z.infer<S>>;

function validateParsed(parse: ParseKind, registry: ModelRegistry): MetadataValidation {
  const systems = parse('systems', System);
  const entities = parse('entities', Entity);
  const actions = parse('actions', Action);
  const checkedModels = checkModels(registry);
  const crossIssues = crossCheckMetadata({
    systems: systems.records,
    entities: entities.records,
    actions: actions.records,
    declared: { systems: systems.declaredIds, entities: entities.declaredIds },
    complete: { systems: systems.issues.length === 0, entities: entities.issues.length === 0 },
    models: checkedModels.models,
    modelNames: new Set(Object.keys(registry)),
  });
  const issues = [...systems.issues, ...entities.issues, ...actions.issues, ...checkedModels.issues, ...crossIssues];
  if (issues.length > 0) return { ok: false, issues };
  const set: MetadataSet = { systems: systems.records, entities: entities.records, actions: actions.records };
  return { ok: true, metadata: { ...set, hash: metadataHash(set), models: checkedModels.models } };
}

function missingFile(kind: MetadataKind): ParsedFile<never> {
  return { records: [], declaredIds: new Set(), issues: [`${METADATA_FILES[kind]}: file not found`] };
}

/** Like `validateMetadata`, but throws `MetadataValidationError` listing every problem. */
export function requireValidMetadata(texts: MetadataTexts, registry: ModelRegistry): ValidatedMetadata {
  const result = validateMetadata(texts, registry);
  if (!result.ok) throw new MetadataValidationError(result.issues);
  return result.metadata;
}

/** The content hash of a metadata set (the three record lists, in file order). */
export function metadataHash(set: MetadataSet): string {
  return contentHash({ systems: set.systems, entities: set.entities, actions: set.actions });
}
