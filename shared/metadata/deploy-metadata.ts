import type { DeployResult, MetadataStore } from '../adapters/mongo/metadata-store.ts';
import type { Logger } from '../log.ts';
import type { ValidatedMetadata } from './metadata-set.ts';
import type { ModelRegistry } from './model-dsl.ts';
import { requireValidMetadata, type MetadataTexts } from './validate-metadata.ts';

/** What a deploy needs: the store to write to, the models to validate against, a logger and the time. */
export interface DeployMetadataDeps {
  readonly store: MetadataStore;
  readonly models: ModelRegistry;
  readonly log: Logger;
  readonly now: Date;
  /** Deploy even when the content hash equals the active deploy's. */
  readonly force?: boolean;
}

/**
 * Validates the metadata files (every problem reported, `MetadataValidationError`) and only then deploys them
 * as a new generation. Secret references are deployed as references; values never reach MongoDB.
 */
export async function deployMetadata(
  texts: MetadataTexts,
  deps: DeployMetadataDeps,
): Promise<DeployResult & { readonly metadata: ValidatedMetadata }> {
  const metadata = requireValidMetadata(texts, deps.models);
  // Through JSON so what is stored is exactly what the hash covers (no undefined fields).
  const records = JSON.parse(
    JSON.stringify({ systems: metadata.systems, entities: metadata.entities, actions: metadata.actions }),
  ) as { systems: unknown[]; entities: unknown[]; actions: unknown[] };
  const result = await deps.store.deploy(records, metadata.hash, { now: deps.now, force: deps.force ?? false });
  deps.log.info(
    {
      generation: result.generation,
      hash: result.hash,
      status: result.status,
      systems: metadata.systems.length,
      entities: metadata.entities.length,
      actions: metadata.actions.length,
    },
    result.status === 'deployed' ? 'metadata deployed' : 'metadata unchanged',
  );
  return { ...result, metadata };
}
