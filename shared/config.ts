import { config as loadDotenv } from 'dotenv';
import * as z from 'zod';
import { ConfigurationError } from './errors.ts';

/**
 * The environment the platform reads, with the local services' values (dev/services.sh) as defaults.
 * `.env` is loaded when present; every variable is documented in `.env.example`.
 */
export const Env = z.object({
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
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}
