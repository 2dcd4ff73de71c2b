import nodeVault from 'node-vault';
import * as z from 'zod';
import { ConfigurationError, SecretNotFoundError, UpstreamUnavailableError } from '../../errors.ts';
import { secretVaultLocation } from '../../secrets/secret-location.ts';
import type { SecretStore } from '../../secrets/secret-store.ts';

/** Where the Vault store reads (from `SECRET_STORE=vault` settings). */
export interface VaultSecretStoreOptions {
  /** Vault (or OpenBao) address, e.g. `http://127.0.0.1:8200`. */
  readonly address: string;
  readonly token: string;
  /** The KV v2 secrets engine's mount (`secret`). */
  readonly mount?: string;
  /** Path under the mount that holds the platform's secrets (`dataplatform`). */
  readonly pathPrefix?: string;
  readonly timeoutMs?: number;
}

/** The part of a KV v2 read answer we rely on: `{"data": {"data": {field: value}, "metadata": …}}`. */
const KvReadAnswer = z.looseObject({
  data: z.looseObject({ data: z.record(z.string(), z.unknown()).nullable() }),
});

/**
 * Reads secrets from a Vault KV v2 engine: key `nightscout/api_secret` → path `<prefix>/nightscout`, field
 * `api_secret` (`bao kv get -mount=secret dataplatform/nightscout`).
 */
export function createVaultSecretStore(options: VaultSecretStoreOptions): SecretStore {
  const mount = (options.mount ?? 'secret').replace(/^\/+|\/+$/g, '');
  const pathPrefix = options.pathPrefix ?? 'dataplatform';
  const client = nodeVault({
    apiVersion: 'v1',
    endpoint: options.address,
    token: options.token,
    requestOptions: { timeout: options.timeoutMs ?? 5_000 },
  });
  const origin = safeOrigin(options.address);

  return {
    kind: 'vault',
    async get(key) {
      const { path, field } = secretVaultLocation(key, pathPrefix);
      const where = `vault (mount ${mount}, path ${path}, field ${field})`;
      let answer: unknown;
      try {
        answer = await client.read(`${mount}/data/${path}`);
      } catch (error) {
        throw toStoreError(error, key, where, origin);
      }
      const parsed = KvReadAnswer.safeParse(answer);
      if (!parsed.success) throw new UpstreamUnavailableError(`vault at ${origin} gave an unexpected answer for ${where}`);
      const value = parsed.data.data.data?.[field];
      if (value === undefined || value === null || value === '') throw new SecretNotFoundError(key, where);
      if (typeof value !== 'string') throw new ConfigurationError(`secret "${key}" in ${where} is not a string`);
      return value;
    },
  };
}

/**
 * Turns a node-vault failure into our error. The original is never kept as `cause`: an axios error carries the
 * request configuration, headers (the token) included, and could reach a log that way.
 */
function toStoreError(error: unknown, key: string, where: string, origin: string): Error {
  const status = (error as { response?: { statusCode?: unknown } }).response?.statusCode;
  if (status === 404) return new SecretNotFoundError(key, where);
  if (status === 403 || status === 401) {
    return new ConfigurationError(`vault at ${origin} refused to read ${where} (${status}): check VAULT_TOKEN and its policy`);
  }
  if (typeof status === 'number') return new UpstreamUnavailableError(`vault at ${origin} answered ${status} for ${where}`);
  const code = (error as { code?: unknown }).code;
  return new UpstreamUnavailableError(`vault at ${origin} is unreachable (${typeof code === 'string' ? code : 'no answer'})`);
}

/** The address without credentials or path, for messages. */
function safeOrigin(address: string): string {
  try {
    return new URL(address).origin;
  } catch {
    return 'the configured VAULT_ADDR';
  }
}
