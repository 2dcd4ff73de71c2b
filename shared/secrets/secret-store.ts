/**
 * Where secret values come from. One implementation per store (Vault KV v2, OpenFaaS secret files, environment
 * variables), chosen by `SECRET_STORE`; see docs/metadata.md for how a key maps to each store.
 *
 * @example
 * const store: SecretStore = createEnvSecretStore(process.env);
 * const apiSecret = await store.get('nightscout/api_secret'); // reads SECRET_NIGHTSCOUT_API_SECRET
 */
export interface SecretStore {
  /** The store's kind, for messages: `vault`, `files` or `env`. */
  readonly kind: SecretStoreKind;
  /**
   * The value of a secret. An absent one throws `SecretNotFoundError` naming the key and where the store looked;
   * an unreachable store throws `UpstreamUnavailableError`. Neither message ever holds a value.
   */
  get(key: string): Promise<string>;
}

/** The stores `SECRET_STORE` can name. */
export const SECRET_STORE_KINDS = ['vault', 'files', 'env'] as const;
export type SecretStoreKind = (typeof SECRET_STORE_KINDS)[number];
