import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretNotFoundError } from '../../../../shared/errors.ts';
import { withSecretCache } from '../../../../shared/secrets/cached-secret-store.ts';
import { createEnvSecretStore } from '../../../../shared/secrets/env-secret-store.ts';
import { createFileSecretStore } from '../../../../shared/secrets/file-secret-store.ts';
import { resolveSecrets } from '../../../../shared/secrets/resolve-secrets.ts';
import type { SecretStore } from '../../../../shared/secrets/secret-store.ts';

const VALUE = 'sw0rdf1sh-never-printed';

describe('createEnvSecretStore', () => {
  const store = createEnvSecretStore({ SECRET_NIGHTSCOUT_API_SECRET: VALUE, SECRET_BUNQ_API_KEY: '' });

  it('reads SECRET_<KEY>', async () => {
    await expect(store.get('nightscout/api_secret')).resolves.toBe(VALUE);
  });

  it('names the key and the variable when it is absent or empty', async () => {
    await expect(store.get('bunq/api_key')).rejects.toThrow('secret "bunq/api_key" not found in env (SECRET_BUNQ_API_KEY)');
    await expect(store.get('nightscout/token')).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});

describe('createFileSecretStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-'));
    await writeFile(join(dir, 'nightscout-api-secret'), `${VALUE}\n`);
    await writeFile(join(dir, 'bunq-api-key'), 'line one\nline two');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads <dir>/<key with / and _ as -> and drops one trailing newline', async () => {
    const store = createFileSecretStore(dir);
    await expect(store.get('nightscout/api_secret')).resolves.toBe(VALUE);
    await expect(store.get('bunq/api_key')).resolves.toBe('line one\nline two');
  });

  it('names the key and the file when it is absent', async () => {
    const store = createFileSecretStore(dir);
    await expect(store.get('bunq/private_key')).rejects.toThrow(
      `secret "bunq/private_key" not found in files (${join(dir, 'bunq-private-key')})`,
    );
  });
});

describe('withSecretCache', () => {
  function countingStore(): SecretStore & { calls: number } {
    const store = {
      kind: 'env' as const,
      calls: 0,
      get(key: string) {
        store.calls += 1;
        return key === 'a/missing' ? Promise.reject(new SecretNotFoundError(key, 'env')) : Promise.resolve(`${key}#${store.calls}`);
      },
    };
    return store;
  }

  it('asks the store once per key within the TTL, and again after it', async () => {
    let now = 0;
    const inner = countingStore();
    const store = withSecretCache(inner, { ttlMs: 1_000, now: () => now });
    await expect(store.get('a/b')).resolves.toBe('a/b#1');
    now = 999;
    await expect(store.get('a/b')).resolves.toBe('a/b#1');
    now = 1_000;
    await expect(store.get('a/b')).resolves.toBe('a/b#2');
    expect(inner.calls).toBe(2);
  });

  it('does not cache a failure', async () => {
    const inner = countingStore();
    const store = withSecretCache(inner, { ttlMs: 60_000 });
    await expect(store.get('a/missing')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(store.get('a/missing')).rejects.toBeInstanceOf(SecretNotFoundError);
    expect(inner.calls).toBe(2);
  });
});

describe('resolveSecrets', () => {
  const store = createEnvSecretStore({ SECRET_NIGHTSCOUT_API_SECRET: VALUE, SECRET_HOOK_URL: 'https://hook.example' });

  it('replaces every reference, at any depth, and leaves the input untouched', async () => {
    const input = {
      id: 'NSC01',
      connection: { api_secret: { type: 'secret' as const, key: 'nightscout/api_secret' }, page_size: 1000 },
      hooks: [{ url: { type: 'secret' as const, key: 'hook/url' } }, { url: 'https://plain.example' }],
    };
    const copy = structuredClone(input);
    await expect(resolveSecrets(input, store)).resolves.toEqual({
      id: 'NSC01',
      connection: { api_secret: VALUE, page_size: 1000 },
      hooks: [{ url: 'https://hook.example' }, { url: 'https://plain.example' }],
    });
    expect(input).toEqual(copy);
  });

  it('fails on the first missing key, naming it', async () => {
    await expect(resolveSecrets({ a: { type: 'secret', key: 'bunq/api_key' } }, store)).rejects.toThrow(
      'secret "bunq/api_key" not found in env (SECRET_BUNQ_API_KEY)',
    );
  });
});
