import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../../shared/config.ts';
import { refuseMissingProductionSettings } from '../../../shared/production-settings.ts';
import { ConfigurationError } from '../../../shared/errors.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A folder of OpenFaaS secret files, as a function's /var/openfaas/secrets. */
function secretsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-config-'));
  made.push(dir);
  for (const [name, value] of Object.entries(files)) writeFileSync(path.join(dir, name), `${value}\n`);
  return dir;
}

/** What stack.yml gives a connector: the development URLs as plain variables, and no secrets. */
const CONNECTOR_VARIABLES = {
  PLATFORM_ENV: 'production',
  DATABASE_URL: 'postgres://dataplatform:dataplatform@10.62.0.1:55432/dataplatform',
  MONGODB_URL: 'mongodb://10.62.0.1:27017/?directConnection=true',
  GATEWAY_URL: 'http://gateway:8080',
  VAULT_ADDR: 'http://10.62.0.1:8200',
};

/** The production secrets a connector lists in stack.yml. */
const CONNECTOR_SECRETS = {
  'dataplatform-database-url': 'postgres://platform:s3cret@10.62.0.1:5432/dataplatform',
  'dataplatform-mongodb-url': 'mongodb://platform:s3cret@10.62.0.1:27017/?authSource=admin',
  'dataplatform-vault-token': 's.limited-token',
};

describe('the platform environment', () => {
  it('fills in the local development services when nothing is set', () => {
    const env = loadEnv({ SECRETS_DIR: secretsDir({}) });
    expect(env).toMatchObject({ PLATFORM_ENV: 'development', VAULT_TOKEN: 'dev-root-token' });
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/dataplatform:dataplatform@127\.0\.0\.1:55432\//);
  });

  it('reads a connection from its OpenFaaS secret before its variable, and from NAME_FILE before both', () => {
    const dir = secretsDir({ ...CONNECTOR_SECRETS, other: 'postgres://from-file/dataplatform' });
    const env = loadEnv({ ...CONNECTOR_VARIABLES, PLATFORM_ENV: 'development', SECRETS_DIR: dir });
    expect([env.DATABASE_URL, env.MONGODB_URL, env.VAULT_TOKEN]).toEqual(Object.values(CONNECTOR_SECRETS));
    expect(loadEnv({ SECRETS_DIR: dir, DATABASE_URL_FILE: path.join(dir, 'other') }).DATABASE_URL).toBe('postgres://from-file/dataplatform');
    // The dashboard names its own secret (a read-only login).
    expect(loadEnv({ SECRETS_DIR: dir, DATABASE_URL_SECRET: 'other' }).DATABASE_URL).toBe('postgres://from-file/dataplatform');
  });

  it('names an unreadable NAME_FILE, never its content', () => {
    expect(() => loadEnv({ DATABASE_URL_FILE: '/nonexistent/database-url' })).toThrow(
      'cannot read DATABASE_URL from /nonexistent/database-url (ENOENT)',
    );
  });

  it('takes a production deployment whose connections come from its secrets', () => {
    const source = { ...CONNECTOR_VARIABLES, SECRETS_DIR: secretsDir(CONNECTOR_SECRETS) };
    expect(() => refuseMissingProductionSettings(source)).not.toThrow();
    const env = loadEnv(source);
    expect([env.DATABASE_URL, env.MONGODB_URL, env.VAULT_TOKEN, env.GATEWAY_URL]).toEqual([
      ...Object.values(CONNECTOR_SECRETS),
      'http://gateway:8080',
    ]);
  });

  it('refuses to start in production when a secret is missing, naming each one instead of using the development URLs', () => {
    const source = { ...CONNECTOR_VARIABLES, SECRETS_DIR: secretsDir({ 'dataplatform-vault-token': 's.limited-token' }) };
    expect(() => refuseMissingProductionSettings(source)).toThrow(ConfigurationError);
    expect(() => refuseMissingProductionSettings(source)).toThrow(
      'PLATFORM_ENV=production: DATABASE_URL must come from the OpenFaaS secret dataplatform-database-url (or DATABASE_URL_FILE); ' +
        'the variable DATABASE_URL is the development default; MONGODB_URL must come from the OpenFaaS secret dataplatform-mongodb-url',
    );
    // A function that reads it anyway is refused where it reads it.
    expect(() => loadEnv(source).DATABASE_URL).toThrow('DATABASE_URL must come from the OpenFaaS secret dataplatform-database-url');
  });

  it('refuses only what a function was given at start, and the rest where it is read', () => {
    // The healthcheck is given no connection: it starts.
    expect(() => refuseMissingProductionSettings({ PLATFORM_ENV: 'production', SECRETS_DIR: secretsDir({}) })).not.toThrow();
    // The dashboard has no gateway: reading its database does not ask for one.
    const dashboard = {
      PLATFORM_ENV: 'production',
      DATABASE_URL_SECRET: 'dataplatform-dashboard-database-url',
      SECRETS_DIR: secretsDir({ 'dataplatform-dashboard-database-url': 'postgres://reader@db/dataplatform', 'dataplatform-mongodb-url': 'mongodb://m/' }),
    };
    expect(() => refuseMissingProductionSettings(dashboard)).not.toThrow();
    const env = loadEnv(dashboard);
    expect(env.DATABASE_URL).toBe('postgres://reader@db/dataplatform');
    expect(() => env.GATEWAY_URL).toThrow('PLATFORM_ENV=production: set GATEWAY_URL (the development default is refused)');
  });

  it('refuses the development root token in production however it is given, and asks no token of the files store', () => {
    const secrets = { ...CONNECTOR_SECRETS, 'dataplatform-vault-token': 'dev-root-token' };
    const source = { ...CONNECTOR_VARIABLES, SECRETS_DIR: secretsDir(secrets) };
    expect(() => refuseMissingProductionSettings(source)).toThrow('VAULT_TOKEN is the development root token');
    const { 'dataplatform-vault-token': _token, ...connections } = CONNECTOR_SECRETS;
    const filesStore = { ...CONNECTOR_VARIABLES, VAULT_ADDR: '', SECRET_STORE: 'files', SECRETS_DIR: secretsDir(connections) };
    expect(() => refuseMissingProductionSettings(filesStore)).not.toThrow();
    expect(loadEnv(filesStore).PLATFORM_ENV).toBe('production');
  });
});
