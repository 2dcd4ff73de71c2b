import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, SecretNotFoundError } from '../errors.ts';
import { secretFileName } from './secret-location.ts';
import type { SecretStore } from './secret-store.ts';

/** Where OpenFaaS mounts a function's secrets. */
export const DEFAULT_SECRETS_DIR = '/var/openfaas/secrets';

/**
 * Reads `nightscout/api_secret` from `<dir>/nightscout-api-secret` (one file per secret, as OpenFaaS mounts
 * them). One trailing newline is dropped, since files written by hand or `echo` usually end with one.
 */
export function createFileSecretStore(dir: string = DEFAULT_SECRETS_DIR): SecretStore {
  return {
    kind: 'files',
    async get(key) {
      const file = join(dir, secretFileName(key));
      let value: string;
      try {
        value = await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new SecretNotFoundError(key, `files (${file})`);
        // The cause is a plain fs error: it names the file, never its content.
        throw new ConfigurationError(`cannot read secret file ${file} (${code ?? 'unknown error'})`, { cause: error });
      }
      value = value.replace(/\r?\n$/, '');
      if (value === '') throw new SecretNotFoundError(key, `files (${file}, empty)`);
      return value;
    },
  };
}
