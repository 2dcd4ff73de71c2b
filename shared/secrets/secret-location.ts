/**
 * The rules that map a secret key (`nightscout/api_secret`) to a place in each store. Documented in
 * docs/metadata.md; keys are snake_case segments joined by `/` (see `SecretKey`).
 */

/** Environment store: `SECRET_` + the key upper-cased with `/` as `_` (`SECRET_NIGHTSCOUT_API_SECRET`). */
export function secretEnvName(key: string): string {
  return `SECRET_${key.replaceAll('/', '_').toUpperCase()}`;
}

/**
 * Files store: the key with `/` and `_` as `-` (`nightscout-api-secret`), the usual spelling of an OpenFaaS
 * secret name (`faas-cli secret create nightscout-api-secret`), mounted at `/var/openfaas/secrets/<name>`.
 */
export function secretFileName(key: string): string {
  return key.replaceAll(/[/_]/g, '-');
}

/** Vault KV v2 store: all segments but the last are the path under the prefix, the last one is the field. */
export function secretVaultLocation(key: string, pathPrefix: string): { path: string; field: string } {
  const segments = key.split('/');
  const field = segments.pop() ?? key;
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  return { path: [prefix, ...segments].filter((part) => part !== '').join('/'), field };
}

/**
 * Keys that land on the same environment variable or file name (`a_b/c` and `a/b_c` both give `SECRET_A_B_C`).
 * Metadata refuses such pairs, so switching stores never swaps two secrets.
 */
export function findCollidingSecretKeys(keys: readonly string[]): [string, string][] {
  const byName = new Map<string, string>();
  const collisions: [string, string][] = [];
  for (const key of new Set(keys)) {
    const name = secretEnvName(key);
    const other = byName.get(name);
    if (other === undefined) byName.set(name, key);
    else collisions.push([other, key]);
  }
  return collisions;
}
