/**
 * How the CLI reaches a running platform: the audit schema in PostgreSQL (`DATABASE_URL`), the active metadata in
 * MongoDB (`MONGODB_URL`), and the OpenFaaS gateway (`OPENFAAS_URL`, else `GATEWAY_URL`) with the platform's call
 * token for function calls and the gateway's basic auth for `/system/*`, found where faas-cli keeps its login.
 * Each connection is opened on first use, so `logs` needs no database and `status` no gateway.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import type { Pool } from '../adapters/postgres/pool.ts';
import { createGatewayClient, type GatewayClient } from '../adapters/gateway/gateway-client.ts';
import type { GatewayAdmin } from '../adapters/gateway/function-logs.ts';
import { loadEnv } from '../config.ts';
import { ConfigurationError } from '../errors.ts';
import type { LoadedMetadata } from '../metadata/metadata-loader.ts';
import { CALL_TOKEN_SECRET, readCallToken } from '../runtime/call-token.ts';
import { createFunctionDeps } from '../runtime/function-deps.ts';

/** The local stack's generated secrets (dev/services/openfaas.sh): the fallback on the machine that runs it. */
const LOCAL_SECRETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.local/openfaas/secrets');

/** A running platform as the CLI uses it. */
export interface PlatformAccess {
  /** The gateway's base URL, without a trailing slash. */
  readonly gatewayUrl: string;
  /** The platform's namespace (`FUNCTION_NAMESPACE`, or `--namespace`); empty for the gateway's default. */
  readonly namespace: string;
  /** The pool on the platform's database; the CLI applies no migrations. */
  db(): Promise<Pool>;
  /** The active metadata (secret references unresolved). */
  metadata(): Promise<LoadedMetadata>;
  /** Calls functions with the call token. Throws a `ConfigurationError` naming what to set when there is none. */
  gateway(): GatewayClient;
  /** Basic auth for `/system/*` (logs). Throws a `ConfigurationError` saying how to log in when there is none. */
  admin(): GatewayAdmin;
  close(): Promise<void>;
}

/** Opens (lazily) the platform that `env` describes. */
export function openPlatform(env: NodeJS.ProcessEnv, options: { namespace?: string | undefined } = {}): PlatformAccess {
  const settings = loadEnv(env);
  const gatewayUrl = (env.OPENFAAS_URL?.trim() || settings.GATEWAY_URL).replace(/\/+$/, '');
  const namespace = options.namespace ?? settings.FUNCTION_NAMESPACE;
  const deps = createFunctionDeps({ name: 'cli', env: settings, migrate: false });
  let gateway: GatewayClient | undefined;
  return {
    gatewayUrl,
    namespace,
    db: () => deps.pool(),
    metadata: () => deps.metadata(),
    gateway: () => (gateway ??= createGatewayClient({ baseUrl: gatewayUrl, namespace, token: callToken(env), timeoutMs: 30_000 })),
    admin: () => gatewayLogin(gatewayUrl, env),
    close: () => deps.close(),
  };
}

/** `CALL_TOKEN`, else the secret file in `SECRETS_DIR`, else the local stack's. */
function callToken(env: NodeJS.ProcessEnv): string {
  const token = readCallToken(env) ?? readCallToken({ SECRETS_DIR: LOCAL_SECRETS_DIR });
  if (token === undefined) {
    throw new ConfigurationError(
      `no platform call token: set CALL_TOKEN to the value of the OpenFaaS secret ${CALL_TOKEN_SECRET} (docs/security.md)`,
    );
  }
  return token;
}

/**
 * The gateway's basic auth, where faas-cli keeps it after `faas-cli login` (`$OPENFAAS_CONFIG/config.yml`, `.openfaas/`
 * when `CI` is set, else `~/.openfaas/config.yml`), else the local stack's generated password for user admin.
 */
export function gatewayLogin(gatewayUrl: string, env: NodeJS.ProcessEnv): GatewayAdmin {
  const fromFaasCli = faasCliLogin(gatewayUrl, env);
  if (fromFaasCli) return fromFaasCli;
  const localPassword = path.join(LOCAL_SECRETS_DIR, 'basic-auth-password');
  if (existsSync(localPassword)) return { baseUrl: gatewayUrl, user: 'admin', password: readFileSync(localPassword, 'utf8').trim() };
  throw new ConfigurationError(
    `no login for the gateway at ${gatewayUrl}: run "faas-cli login --gateway ${gatewayUrl} --password-stdin" (user admin)`,
  );
}

/** faas-cli's stored login for the gateway, as faas-cli itself finds it. */
function faasCliLogin(gatewayUrl: string, env: NodeJS.ProcessEnv): GatewayAdmin | undefined {
  const isCi = env.CI === 'true' || env.CI === '1';
  const dir = env.OPENFAAS_CONFIG?.trim() || (isCi ? '.openfaas' : path.join(os.homedir(), '.openfaas'));
  const file = path.join(dir.replace(/^~(?=$|\/)/, os.homedir()), 'config.yml');
  if (!existsSync(file)) return undefined;
  let config: unknown;
  try {
    config = yaml.load(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(`${file} is not faas-cli's YAML: ${(error as Error).message}`);
  }
  const auths = (config as { auths?: unknown } | null)?.auths;
  if (!Array.isArray(auths)) return undefined;
  const entry = (auths as Array<{ gateway?: unknown; auth?: unknown; token?: unknown }>).find(
    (each) => typeof each.gateway === 'string' && each.gateway.replace(/\/+$/, '') === gatewayUrl && each.auth === 'basic',
  );
  if (typeof entry?.token !== 'string') return undefined;
  const decoded = Buffer.from(entry.token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { baseUrl: gatewayUrl, user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
