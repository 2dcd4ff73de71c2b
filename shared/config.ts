import { config as loadDotenv } from 'dotenv';
import * as z from 'zod';
import { ConfigurationError } from './errors.ts';

/**
 * The environment the platform reads, with the local services' values (dev/services.sh) as defaults.
 * `.env` is loaded when present; every variable is documented in `.env.example`.
 */
export const Env = z.object({
  // `production` refuses the development defaults below: every connection must be set (docs/security.md).
  PLATFORM_ENV: z.enum(['development', 'production']).default('development'),
  DATABASE_URL: z.string().default('postgres://dataplatform:dataplatform@127.0.0.1:55432/dataplatform'),
  MONGODB_URL: z.string().default('mongodb://127.0.0.1:27017/?directConnection=true'),
  VAULT_ADDR: z.string().default('http://127.0.0.1:8200'),
  VAULT_TOKEN: z.string().default('dev-root-token'),
  GATEWAY_URL: z.string().default('http://127.0.0.1:8080'),
  // The namespace the platform's functions run in, when not the gateway's default (chained calls go to NAME.NAMESPACE).
  FUNCTION_NAMESPACE: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, 'a namespace name (DNS-1123 label)').default(''),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});
export type Env = z.infer<typeof Env>;

let cached: Env | undefined;

/** Parses the environment once (after `.env`); a malformed variable fails with its name. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  if (source === process.env) loadDotenv({ quiet: true });
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid environment: ${problems.join('; ')}`);
  }
  if (parsed.data.PLATFORM_ENV === 'production') refuseDevelopmentDefaults(source);
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}

/** The settings a production function must be given: their defaults are this machine's development services. */
const PRODUCTION_SETTINGS = ['DATABASE_URL', 'MONGODB_URL', 'GATEWAY_URL'] as const;
/** The development OpenBao's root token (dev/services/openbao.sh): never a production credential. */
const DEVELOPMENT_VAULT_TOKEN = 'dev-root-token';

/**
 * With `PLATFORM_ENV=production`, a setting left to its development default (a local URL with the public dev
 * password, the dev root token) is an error that names what to set, not a silent fallback.
 */
function refuseDevelopmentDefaults(source: NodeJS.ProcessEnv): void {
  const unset = (name: string): boolean => source[name] === undefined || source[name]?.trim() === '';
  const missing: string[] = PRODUCTION_SETTINGS.filter(unset);
  const usesVault = (source.SECRET_STORE ?? 'vault') === 'vault';
  if (usesVault && unset('VAULT_ADDR')) missing.push('VAULT_ADDR');
  if (usesVault && unset('VAULT_TOKEN') && unset('VAULT_TOKEN_FILE')) missing.push('VAULT_TOKEN or VAULT_TOKEN_FILE');
  const problems = missing.length === 0 ? [] : [`set ${missing.join(', ')} (the development defaults are refused)`];
  if (source.VAULT_TOKEN?.trim() === DEVELOPMENT_VAULT_TOKEN) problems.push('VAULT_TOKEN is the development root token');
  if (problems.length > 0) throw new ConfigurationError(`PLATFORM_ENV=production: ${problems.join('; ')}`);
}
