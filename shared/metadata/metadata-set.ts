import type { EntityModel } from '../core/entity-model.ts';
import type { Action } from './action-schema.ts';
import type { Entity } from './entity-schema.ts';
import type { System } from './system-schema.ts';

/** The three metadata files by kind. */
export const METADATA_FILES = {
  systems: 'systems.json',
  entities: 'entities.json',
  actions: 'actions.json',
} as const;
export type MetadataKind = keyof typeof METADATA_FILES;
/** The kinds in deploy order. */
export const METADATA_KINDS = Object.keys(METADATA_FILES) as MetadataKind[];

/** Parsed metadata, as deployed to MongoDB: secret references are still references. */
export interface MetadataSet {
  readonly systems: readonly System[];
  readonly entities: readonly Entity[];
  readonly actions: readonly Action[];
}

/** Metadata checked against the schemas, the cross-file rules and the models, with its content hash. */
export interface ValidatedMetadata extends MetadataSet {
  /** sha256 of the canonical JSON of the three record lists: equal content, equal hash. */
  readonly hash: string;
  /** The described models by name (from the code's registry; models are not deployed). */
  readonly models: Readonly<Record<string, EntityModel>>;
}

/** What resolving an entity of a layer reads: systems, entities, and the described models by name. */
export type ModelledMetadata = Pick<ValidatedMetadata, 'systems' | 'entities' | 'models'>;
