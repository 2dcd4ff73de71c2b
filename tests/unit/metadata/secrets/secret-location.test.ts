import { describe, expect, it } from 'vitest';
import {
  findCollidingSecretKeys,
  secretEnvName,
  secretFileName,
  secretVaultLocation,
} from '../../../../shared/secrets/secret-location.ts';

describe('secret key locations', () => {
  it.each([
    // key, environment variable, file name, Vault path (prefix "dataplatform"), Vault field
    ['nightscout/api_secret', 'SECRET_NIGHTSCOUT_API_SECRET', 'nightscout-api-secret', 'dataplatform/nightscout', 'api_secret'],
    ['bunq/api_key', 'SECRET_BUNQ_API_KEY', 'bunq-api-key', 'dataplatform/bunq', 'api_key'],
    ['home_automation/webhook_url', 'SECRET_HOME_AUTOMATION_WEBHOOK_URL', 'home-automation-webhook-url', 'dataplatform/home_automation', 'webhook_url'],
    ['bank/nl/api_key', 'SECRET_BANK_NL_API_KEY', 'bank-nl-api-key', 'dataplatform/bank/nl', 'api_key'], // deeper path
  ])('%s → %s, %s, %s field %s', (key, envName, fileName, path, field) => {
    expect(secretEnvName(key)).toBe(envName);
    expect(secretFileName(key)).toBe(fileName);
    expect(secretVaultLocation(key, 'dataplatform')).toEqual({ path, field });
  });

  it('trims slashes from the Vault prefix and allows none', () => {
    expect(secretVaultLocation('bunq/api_key', '/apps/dataplatform/')).toEqual({ path: 'apps/dataplatform/bunq', field: 'api_key' });
    expect(secretVaultLocation('bunq/api_key', '')).toEqual({ path: 'bunq', field: 'api_key' });
  });

  it('finds keys that share a variable and file name', () => {
    expect(findCollidingSecretKeys(['a_b/c', 'a/b_c', 'a/b', 'a_b/c'])).toEqual([['a_b/c', 'a/b_c']]);
  });
});
