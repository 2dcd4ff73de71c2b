import { SecretNotFoundError } from '../errors.ts';
import { secretEnvName } from './secret-location.ts';
import type { SecretStore } from './secret-store.ts';

/** Reads `nightscout/api_secret` from `SECRET_NIGHTSCOUT_API_SECRET`; an empty variable counts as absent. */
export function createEnvSecretStore(env: NodeJS.ProcessEnv = process.env): SecretStore {
  return {
    kind: 'env',
    get(key) {
      const name = secretEnvName(key);
      const value = env[name];
      if (value === undefined || value === '') return Promise.reject(new SecretNotFoundError(key, `env (${name})`));
      return Promise.resolve(value);
    },
  };
}
