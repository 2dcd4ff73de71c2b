import { NotFoundError } from '../errors.ts';
import type { LoadedMetadata, MetadataLoader, ResolvedMetadata } from '../metadata/metadata-loader.ts';
import { resolveSecrets } from '../secrets/resolve-secrets.ts';
import type { SecretStore } from '../secrets/secret-store.ts';

/**
 * A metadata loader over metadata already in memory, with secrets resolved from `secrets` on demand: what tests
 * and tools inject into a function's deps instead of a deploy to MongoDB.
 *
 * @example
 * const deps = createFunctionDeps({ name: 'scheduler', metadataLoader: staticMetadataLoader(metadata, createEnvSecretStore({})) });
 */
export function staticMetadataLoader(metadata: LoadedMetadata, secrets: SecretStore): MetadataLoader {
  const loader: MetadataLoader = {
    load: () => Promise.resolve(metadata),
    async loadSystem(id) {
      const system = metadata.systems.find((candidate) => candidate.id === id);
      if (!system) throw new NotFoundError(`unknown system "${id}"`);
      return resolveSecrets(system, secrets);
    },
    async loadWebhook(id) {
      const system = metadata.systems.find((candidate) => candidate.id === id);
      if (system?.webhook === undefined) return undefined;
      return { system, webhook: await resolveSecrets(system.webhook, secrets) };
    },
    async loadAction(id) {
      const action = metadata.actions.find((candidate) => candidate.id === id);
      if (!action) throw new NotFoundError(`unknown action "${id}"`);
      return resolveSecrets(action, secrets);
    },
    async loadResolved() {
      const [systems, actions] = await Promise.all([resolveSecrets(metadata.systems, secrets), resolveSecrets(metadata.actions, secrets)]);
      return { ...metadata, systems, actions } as ResolvedMetadata;
    },
  };
  return loader;
}
