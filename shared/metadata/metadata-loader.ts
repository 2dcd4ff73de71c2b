import { setTimeout as sleep } from 'node:timers/promises';
import type { MetadataStore } from '../adapters/mongo/metadata-store.ts';
import { ConfigurationError, NotFoundError, UpstreamUnavailableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { resolveSecrets } from '../secrets/resolve-secrets.ts';
import type { Resolved } from '../secrets/secret-ref.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { Action } from './action-schema.ts';
import { contentHash } from './content-hash.ts';
import type { MetadataSet, ValidatedMetadata } from './metadata-set.ts';
import type { ModelRegistry } from './model-dsl.ts';
import type { System, WebhookSettings } from './system-schema.ts';
import { MetadataValidationError, validateMetadataRecords } from './validate-metadata.ts';

/** The active metadata as a function sees it: validated, secret references still references. */
export interface LoadedMetadata extends ValidatedMetadata {
  readonly generation: string;
  readonly deployed_at: Date;
}

/** Metadata with every secret reference replaced by its value. Short-lived: never log it, cache it or store it. */
export type ResolvedMetadata = Omit<LoadedMetadata, keyof MetadataSet> & Resolved<MetadataSet>;

/** What a loader reads from (store), validates against (models) and resolves secrets with. */
export interface MetadataLoaderDeps {
  readonly store: MetadataStore;
  readonly models: ModelRegistry;
  readonly secrets: SecretStore;
  readonly log?: Logger;
  /** The active pointer is read at most this often (0: on every load). */
  readonly refreshIntervalMs?: number;
  readonly now?: () => number;
  /** Reads that may race with deploys before giving up. */
  readonly maxAttempts?: number;
}

/** Reads metadata from MongoDB for functions: cached per deploy, secrets resolved on demand. */
export interface MetadataLoader {
  /** The active metadata; re-read only when the deploy changed. */
  load(): Promise<LoadedMetadata>;
  /** One system with its secrets resolved (only this system's secrets are fetched). */
  loadSystem(id: string): Promise<Resolved<System>>;
  /** One action with its secrets resolved. */
  loadAction(id: string): Promise<Resolved<Action>>;
  /**
   * A system's webhook block with only its own secrets resolved (the token): the webhook authenticates its caller
   * with it before it fetches anything else. Undefined for an unknown system or one without a webhook.
   */
  loadWebhook(id: string): Promise<{ readonly system: System; readonly webhook: Resolved<WebhookSettings> } | undefined>;
  /** Everything with every secret resolved; a function that needs only its own secrets uses loadSystem/loadAction. */
  loadResolved(): Promise<ResolvedMetadata>;
}

/**
 * Builds the loader functions use. It reads the `deploys` pointer, then that generation's records, and checks
 * their hash against the pointer's: a read that raced with a deploy's clean-up (records missing) is detected and
 * repeated, so a caller only ever gets one whole deploy. The parsed metadata (references, no values) is cached
 * per generation; secret values come from the store's own short cache on each call.
 */
export function createMetadataLoader(deps: MetadataLoaderDeps): MetadataLoader {
  const now = deps.now ?? Date.now;
  const refreshIntervalMs = deps.refreshIntervalMs ?? 0;
  const maxAttempts = deps.maxAttempts ?? 5;
  let cached: LoadedMetadata | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;

  async function readActiveGeneration(): Promise<LoadedMetadata> {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const pointer = await deps.store.readActive();
      if (!pointer) throw new ConfigurationError('no metadata deployed: run `npx dataplatform metadata deploy`');
      if (cached?.generation === pointer.generation) return cached;
      const records = await deps.store.readGeneration(pointer.generation);
      if (contentHash(records) !== pointer.hash) {
        deps.log?.debug({ generation: pointer.generation, attempt }, 'metadata changed while read; reading again');
        await sleep(10 * attempt);
        continue;
      }
      const validation = validateMetadataRecords(records, deps.models);
      if (!validation.ok) {
        // The deployed set was valid against the deployer's code; this function's code (its models) disagrees.
        throw new MetadataValidationError(
          validation.issues.map((issue) => `deployed generation ${pointer.generation}: ${issue}`),
        );
      }
      return { ...validation.metadata, generation: pointer.generation, deployed_at: pointer.deployed_at };
    }
    throw new UpstreamUnavailableError(`metadata kept changing while it was read (${maxAttempts} attempts)`);
  }

  const loader: MetadataLoader = {
    async load() {
      if (cached && now() - checkedAt < refreshIntervalMs) return cached;
      const loaded = await readActiveGeneration();
      if (loaded !== cached) {
        deps.log?.info({ generation: loaded.generation, hash: loaded.hash }, 'metadata loaded');
        cached = loaded;
      }
      checkedAt = now();
      return loaded;
    },

    async loadSystem(id) {
      const system = (await loader.load()).systems.find((candidate) => candidate.id === id);
      if (!system) throw new NotFoundError(`unknown system "${id}"`);
      return resolveSecrets(system, deps.secrets);
    },

    async loadWebhook(id) {
      const system = (await loader.load()).systems.find((candidate) => candidate.id === id);
      if (system?.webhook === undefined) return undefined;
      return { system, webhook: await resolveSecrets(system.webhook, deps.secrets) };
    },

    async loadAction(id) {
      const action = (await loader.load()).actions.find((candidate) => candidate.id === id);
      if (!action) throw new NotFoundError(`unknown action "${id}"`);
      return resolveSecrets(action, deps.secrets);
    },

    async loadResolved() {
      const metadata = await loader.load();
      const [systems, actions] = await Promise.all([
        resolveSecrets(metadata.systems, deps.secrets),
        resolveSecrets(metadata.actions, deps.secrets),
      ]);
      return { ...metadata, systems, actions } as ResolvedMetadata;
    },
  };
  return loader;
}
