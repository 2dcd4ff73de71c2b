import { collectSecretKeys, isSecretRef, type Resolved } from './secret-ref.ts';
import type { SecretStore } from './secret-store.ts';

/**
 * Returns a copy of `value` with every secret reference replaced by its value from `store` (each key fetched
 * once). The input is left untouched, so the parsed metadata (references only) can be cached and shared while
 * resolved copies stay short-lived. A missing secret rejects with `SecretNotFoundError` (key and store, no value).
 */
export async function resolveSecrets<T>(value: T, store: SecretStore): Promise<Resolved<T>> {
  const keys = collectSecretKeys(value);
  const values = new Map<string, string>();
  await Promise.all(
    keys.map(async (key) => {
      values.set(key, await store.get(key));
    }),
  );
  const replace = (node: unknown): unknown => {
    if (isSecretRef(node)) return values.get(node.key);
    if (Array.isArray(node)) return node.map(replace);
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, replace(child)]));
    }
    return node;
  };
  return replace(value) as Resolved<T>;
}
