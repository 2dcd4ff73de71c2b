import type { SecretStore } from './secret-store.ts';

/** How long a resolved secret is reused before the store is asked again (a rotated secret shows up after this). */
export const DEFAULT_SECRET_TTL_MS = 60_000;

interface CacheEntry {
  readonly value: Promise<string>;
  readonly expiresAt: number;
}

/**
 * Wraps a store so each key is fetched at most once per TTL (and once while a fetch is in flight). Failures are
 * not cached: a secret added to the store is found on the next call. Values live only in this closure.
 */
export function withSecretCache(
  store: SecretStore,
  options: { ttlMs?: number; now?: () => number } = {},
): SecretStore {
  const ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  return {
    kind: store.kind,
    get(key) {
      const hit = cache.get(key);
      if (hit && hit.expiresAt > now()) return hit.value;
      const value = store.get(key);
      cache.set(key, { value, expiresAt: now() + ttlMs });
      value.catch(() => {
        if (cache.get(key)?.value === value) cache.delete(key);
      });
      return value;
    },
  };
}
