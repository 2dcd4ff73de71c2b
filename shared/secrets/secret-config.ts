import * as z from 'zod';
import { loadEnv } from '../config.ts';
import { ConfigurationError } from '../errors.ts';
import { DEFAULT_SECRET_TTL_MS } from './cached-secret-store.ts';
import { DEFAULT_SECRETS_DIR } from './file-secret-store.ts';
import { SECRET_STORE_KINDS, type SecretStoreKind } from './secret-store.ts';

/** The environment that chooses and configures the secret store (documented in docs/metadata.md). */
export const SecretEnv = z.object({
  SECRET_STORE: z.enum(SECRET_STORE_KINDS).default('vault'),
  VAULT_KV_MOUNT: z.string().min(1).default('secret'),
  VAULT_PATH_PREFIX: z.string().default('dataplatform'),
  SECRETS_DIR: z.string().min(1).default(DEFAULT_SECRETS_DIR),
  SECRET_CACHE_TTL_MS: z.coerce.number().int().min(0).default(DEFAULT_SECRET_TTL_MS),
});

/** The parsed secret store configuration (the Vault token is only ever held here and in the client). */
export interface SecretConfig {
  readonly kind: SecretStoreKind;
  readonly vault: { address: string; token: string; mount: string; pathPrefix: string };
  readonly secretsDir: string;
  readonly ttlMs: number;
}

/** Reads the secret store's configuration; a malformed variable fails with its name (never its value). */
export function loadSecretConfig(source: NodeJS.ProcessEnv = process.env): SecretConfig {
  // First: it loads `.env` into process.env, and reads the token from VAULT_TOKEN_FILE or the OpenFaaS secret
  // dataplatform-vault-token when the function has one (shared/config.ts).
  const env = loadEnv(source);
  const parsed = SecretEnv.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid secret store environment: ${problems.join('; ')}`);
  }
  const { VAULT_KV_MOUNT: mount, VAULT_PATH_PREFIX: pathPrefix } = parsed.data;
  return {
    kind: parsed.data.SECRET_STORE,
    // Read when the Vault store is first used: in production an unset VAULT_ADDR or token is refused there, not in a
    // function that never reads a secret from Vault (the scheduler and the layers load metadata without resolving one).
    get vault() {
      return { address: env.VAULT_ADDR, token: env.VAULT_TOKEN, mount, pathPrefix };
    },
    secretsDir: parsed.data.SECRETS_DIR,
    ttlMs: parsed.data.SECRET_CACHE_TTL_MS,
  };
}
