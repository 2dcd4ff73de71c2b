/**
 * Settings read from files (OpenFaaS secrets), and what `PLATFORM_ENV=production` refuses. Apart from shared/config.ts
 * (zod, dotenv) so that the template's server checks them at start without adding either to every bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from './errors.ts';

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
export type SecretSetting = keyof typeof SECRET_SETTINGS;

/** Where OpenFaaS mounts a function's secrets (the local provider sets `SECRETS_DIR` instead). */
const DEFAULT_SECRETS_DIR = '/var/openfaas/secrets';
/** The development OpenBao's root token (dev/services/openbao.sh): never a production credential. */
const DEVELOPMENT_VAULT_TOKEN = 'dev-root-token';

/**
 * At a function's start: with `PLATFORM_ENV=production`, throws when a setting the function was given (its variable,
 * `NAME_FILE` or its secret is there) is still a development value, naming each one and where to give it. stack.yml
 * passes the development URLs as variables to every function that uses them, so this refuses a deployment that
 * forgot a secret before it takes a call.
 */
export function refuseMissingProductionSettings(source: NodeJS.ProcessEnv = process.env): void {
  if (source.PLATFORM_ENV !== 'production') return;
  const files = readSettingFiles(source);
  // The Vault token is the Vault address's companion: a function given VAULT_ADDR reads secrets from Vault.
  const isGiven = (name: string): boolean =>
    isSet(source[name]) || files[name as SecretSetting] !== undefined || (name === 'VAULT_TOKEN' && isSet(source.VAULT_ADDR));
  const problems = [...productionProblems(source, files)].filter(([name]) => isGiven(name));
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
export function readSettingFiles(source: NodeJS.ProcessEnv): Partial<Record<SecretSetting, string>> {
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
export function productionProblems(source: NodeJS.ProcessEnv, files: Partial<Record<SecretSetting, string>>): Map<string, string> {
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
