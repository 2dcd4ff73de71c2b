import { createVaultSecretStore } from '../adapters/vault/vault-secret-store.ts';
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
      ? createVaultSecretStore(config.vault)
      : config.kind === 'files'
        ? createFileSecretStore(config.secretsDir)
        : createEnvSecretStore(env);
  return withSecretCache(store, { ttlMs: config.ttlMs });
}
