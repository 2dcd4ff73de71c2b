import type { VaultSecretStoreOptions } from '../adapters/vault/vault-secret-store.ts';
import { withSecretCache } from './cached-secret-store.ts';
import { createEnvSecretStore } from './env-secret-store.ts';
import { createFileSecretStore } from './file-secret-store.ts';
import { loadSecretConfig, type SecretConfig } from './secret-config.ts';
import type { SecretStore } from './secret-store.ts';

/** Builds the store `SECRET_STORE` names (vault | files | env), wrapped in the short-lived cache. */
export function createSecretStore(
  config: SecretConfig = loadSecretConfig(),
  env: NodeJS.ProcessEnv = process.env,
): SecretStore {
  const store =
    config.kind === 'vault'
      ? createLazyVaultSecretStore(() => config.vault)
      : config.kind === 'files'
        ? createFileSecretStore(config.secretsDir)
        : createEnvSecretStore(env);
  return withSecretCache(store, { ttlMs: config.ttlMs });
}

/**
 * The Vault store, its module (node-vault and the HTTP client under it) imported and its settings read on the first
 * secret read: a function process that reads no secret, or runs with another store, never loads it nor needs its
 * settings, and every bundle starts without running its code.
 */
function createLazyVaultSecretStore(options: () => VaultSecretStoreOptions): SecretStore {
  let store: Promise<SecretStore> | undefined;
  return {
    kind: 'vault',
    async get(key) {
      store ??= import('../adapters/vault/vault-secret-store.ts').then((module) => module.createVaultSecretStore(options()));
      return (await store).get(key);
    },
  };
}
