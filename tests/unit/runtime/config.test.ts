import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../../shared/config.ts';
import { ConfigurationError } from '../../../shared/errors.ts';

describe('the platform environment', () => {
  it('fills in the local development services when nothing is set', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({ PLATFORM_ENV: 'development', VAULT_TOKEN: 'dev-root-token' });
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/dataplatform:dataplatform@127\.0\.0\.1:55432\//);
  });

  it('refuses the development defaults in production, naming every setting to give', () => {
    expect(() => loadEnv({ PLATFORM_ENV: 'production' })).toThrow(ConfigurationError);
    expect(() => loadEnv({ PLATFORM_ENV: 'production' })).toThrow(
      'PLATFORM_ENV=production: set DATABASE_URL, MONGODB_URL, GATEWAY_URL, VAULT_ADDR, VAULT_TOKEN or VAULT_TOKEN_FILE (the development defaults are refused)',
    );
  });

  it('refuses the development root token in production even when set, and takes a complete production setting', () => {
    const production = {
      PLATFORM_ENV: 'production',
      DATABASE_URL: 'postgres://platform@postgres:5432/dataplatform',
      MONGODB_URL: 'mongodb://mongo:27017/',
      GATEWAY_URL: 'http://gateway:8080',
      VAULT_ADDR: 'http://openbao:8200',
    };
    expect(() => loadEnv({ ...production, VAULT_TOKEN: 'dev-root-token' })).toThrow('VAULT_TOKEN is the development root token');
    expect(loadEnv({ ...production, VAULT_TOKEN_FILE: '/var/openfaas/secrets/vault-token' }).PLATFORM_ENV).toBe('production');
    expect(loadEnv({ ...production, VAULT_ADDR: '', SECRET_STORE: 'files' }).PLATFORM_ENV).toBe('production');
  });
});
