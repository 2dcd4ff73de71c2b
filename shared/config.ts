import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import * as z from 'zod';
import { ConfigurationError } from './errors.ts';

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

/**
 * The settings that may come from a file, each with the OpenFaaS secret it is read from by default. A setting is read
 * from `NAME_FILE` when set, else from its secret when the function has it (`$SECRETS_DIR/<secret>`; `NAME_SECRET`
 * names another one), else from the variable `NAME`. Production takes them from files only (docs/deploy.md).
 */
export const SECRET_SETTINGS = {
  DATABASE_URL: 'dataplatform-database-url',
  MONGODB_URL: 'dataplatform-mongodb-url',
  VAULT_TOKEN: 'dataplatform-vault-token',
} as const;
type SecretSetting = keyof typeof SECRET_SETTINGS;

/** Where OpenFaaS mounts a function's secrets (the local provider sets `SECRETS_DIR` instead). */
const DEFAULT_SECRETS_DIR = '/var/openfaas/secrets';
/** The development OpenBao's root token (dev/services/openbao.sh): never a production credential. */
const DEVELOPMENT_VAULT_TOKEN = 'dev-root-token';

let cached: Env | undefined;

/**
 * Parses the environment once (after `.env`); a malformed variable fails with its name. With
 * `PLATFORM_ENV=production`, reading a setting that is missing (left to its development default) throws a
 * `ConfigurationError` naming what to give; `refuseMissingProductionSettings` does the same at a function's start.
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

/**
 * At a function's start: with `PLATFORM_ENV=production`, throws when a setting the function was given (its variable,
 * `NAME_FILE` or its secret is there) is still a development value, naming each one and where to give it. stack.yml
 * passes the development URLs as variables to every function that uses them, so this refuses a deployment that
 * forgot a secret before it takes a call.
 */
export function refuseMissingProductionSettings(source: NodeJS.ProcessEnv = process.env): void {
  if (source.PLATFORM_ENV !== 'production') return;
  const given = (name: string): boolean =>
    isSet(source[name]) || (name in SECRET_SETTINGS && settingFile(name as SecretSetting, source) !== undefined);
  const problems = [...productionProblems(source, readSettingFiles(source))].filter(([name]) => given(name) || (name === 'VAULT_TOKEN' && isSet(source.VAULT_ADDR)));
  if (problems.length > 0) {
    throw new ConfigurationError(`PLATFORM_ENV=production: ${problems.map(([, problem]) => problem).join('; ')}`);
  }
}

/** The file a secret setting is read from, if any: `NAME_FILE`, else its OpenFaaS secret when mounted. */
function settingFile(name: SecretSetting, source: NodeJS.ProcessEnv): string | undefined {
  const explicit = source[`${name}_FILE`];
  if (isSet(explicit)) return explicit;
  const secret = path.join(source.SECRETS_DIR || DEFAULT_SECRETS_DIR, source[`${name}_SECRET`] || SECRET_SETTINGS[name]);
  return existsSync(secret) ? secret : undefined;
}

/** The secret settings that have a file, read (trimmed, as `faas-cli secret create` trims). */
function readSettingFiles(source: NodeJS.ProcessEnv): Partial<Record<SecretSetting, string>> {
  const values: Partial<Record<SecretSetting, string>> = {};
  for (const name of Object.keys(SECRET_SETTINGS) as SecretSetting[]) {
    const file = settingFile(name, source);
    if (file === undefined) continue;
    try {
      values[name] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigurationError(`cannot read ${name} from ${file} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  return values;
}

/**
 * What production refuses, by setting: a connection secret given as a plain variable or not at all (stack.yml's
 * variables are the development services, so a plain variable cannot tell a production value from a forgotten
 * one), a URL left unset, and the development root token however it is given.
 */
function productionProblems(source: NodeJS.ProcessEnv, files: Partial<Record<SecretSetting, string>>): Map<string, string> {
  const problems = new Map<string, string>();
  const usesVault = (source.SECRET_STORE ?? 'vault') === 'vault';
  for (const name of Object.keys(SECRET_SETTINGS) as SecretSetting[]) {
    if (name === 'VAULT_TOKEN' && !usesVault) continue;
    if (files[name] !== undefined) continue;
    const secret = source[`${name}_SECRET`] || SECRET_SETTINGS[name];
    problems.set(name, `${name} must come from the OpenFaaS secret ${secret} (or ${name}_FILE); the variable ${name} is the development default`);
  }
  for (const name of ['GATEWAY_URL', ...(usesVault ? ['VAULT_ADDR'] : [])]) {
    if (!isSet(source[name])) problems.set(name, `set ${name} (the development default is refused)`);
  }
  if (usesVault && files.VAULT_TOKEN === DEVELOPMENT_VAULT_TOKEN) {
    problems.set('VAULT_TOKEN', 'VAULT_TOKEN is the development root token');
  }
  return problems;
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
