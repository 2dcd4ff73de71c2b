import { config as loadDotenv } from 'dotenv';
import * as z from 'zod';
import { ConfigurationError } from './errors.ts';
import { productionProblems, readSettingFiles } from './production-settings.ts';

/**
 * The environment the platform reads, with the local services' values (dev/services.sh) as defaults.
 * `.env` is loaded when present; every variable is documented in `.env.example`.
 */
export const Env = z.object({
  // `production` refuses the development defaults below: every connection must be given (docs/security.md).
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

/**
 * Parses the environment once (after `.env`); a malformed variable fails with its name. DATABASE_URL, MONGODB_URL and
 * VAULT_TOKEN may come from files (shared/production-settings.ts). With `PLATFORM_ENV=production`, reading a setting
 * that is missing (left to its development value) throws a `ConfigurationError` naming what to give;
 * `refuseMissingProductionSettings` does the same at a function's start.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  if (source === process.env) loadDotenv({ quiet: true });
  const files = readSettingFiles(source);
  const parsed = Env.safeParse({ ...source, ...files });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid environment: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  if (env.PLATFORM_ENV === 'production') {
    // A setting is refused where it is read, so a function that never reads one (the dashboard has no gateway) is
    // not refused for it.
    for (const [name, problem] of productionProblems(source, files)) {
      Object.defineProperty(env, name, {
        enumerable: true,
        get: () => {
          throw new ConfigurationError(`PLATFORM_ENV=production: ${problem}`);
        },
      });
    }
  }
  if (source === process.env) cached = env;
  return env;
}
