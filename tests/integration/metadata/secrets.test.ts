import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { MongoClient } from 'mongodb';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { createMetadataStore, type MetadataStore } from '../../../shared/adapters/mongo/metadata-store.ts';
import { createVaultSecretStore } from '../../../shared/adapters/vault/vault-secret-store.ts';
import { loadEnv } from '../../../shared/config.ts';
import { ConfigurationError, SecretNotFoundError, UpstreamUnavailableError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/log.ts';
import { deployMetadata } from '../../../shared/metadata/deploy-metadata.ts';
import { createMetadataLoader } from '../../../shared/metadata/metadata-loader.ts';
import { createSecretStore } from '../../../shared/secrets/create-secret-store.ts';
import { createFileSecretStore } from '../../../shared/secrets/file-secret-store.ts';
import { loadSecretConfig } from '../../../shared/secrets/secret-config.ts';
import { projectRecords, toTexts } from '../../unit/metadata/metadata-fixture.ts';
import { connectTestMongo, snapshotDatabase, uniqueDatabaseName } from './metadata-test-env.ts';

const env = loadEnv();
const database = uniqueDatabaseName('secrets');
// Each test file uses its own path prefix in OpenBao's KV v2 engine.
const prefix = `dataplatform_it_${randomUUID().slice(0, 8)}`;
const NIGHTSCOUT_SECRET = `ns-${randomUUID()}`;
const BUNQ_KEY = `bunq-${randomUUID()}`;
const vault = nodeVault({ endpoint: env.VAULT_ADDR, token: env.VAULT_TOKEN });
let client: MongoClient;
let store: MetadataStore;
let secretsDir: string;

beforeAll(async () => {
  await vault.write(`secret/data/${prefix}/nightscout`, { data: { api_secret: NIGHTSCOUT_SECRET } });
  secretsDir = await mkdtemp(join(tmpdir(), 'openfaas-secrets-'));
  await writeFile(join(secretsDir, 'nightscout-api-secret'), `${NIGHTSCOUT_SECRET}\n`);
  await writeFile(join(secretsDir, 'bunq-api-key'), BUNQ_KEY);
  client = await connectTestMongo();
  store = createMetadataStore(client.db(database));
  const log = createLogger({});
  log.level = 'silent';
  await deployMetadata(toTexts(projectRecords()), { store, models, log, now: new Date() });
});

afterAll(async () => {
  await vault.delete(`secret/metadata/${prefix}/nightscout`);
  await rm(secretsDir, { recursive: true, force: true });
  await client.db(database).dropDatabase();
  await client.close();
});

function vaultStore(overrides: Partial<Parameters<typeof createVaultSecretStore>[0]> = {}) {
  return createVaultSecretStore({ address: env.VAULT_ADDR, token: env.VAULT_TOKEN, pathPrefix: prefix, ...overrides });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('Vault (OpenBao) secret store', () => {
  it('reads key nightscout/api_secret from <prefix>/nightscout, field api_secret', async () => {
    await expect(vaultStore().get('nightscout/api_secret')).resolves.toBe(NIGHTSCOUT_SECRET);
  });

  it('names the key and the Vault location when the field or the path is missing', async () => {
    await expect(vaultStore().get('nightscout/token')).rejects.toThrow(
      `secret "nightscout/token" not found in vault (mount secret, path ${prefix}/nightscout, field token)`,
    );
    const error = await errorOf(vaultStore().get('bunq/api_key'));
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error.message).toBe(`secret "bunq/api_key" not found in vault (mount secret, path ${prefix}/bunq, field api_key)`);
  });

  it('reports a refused token as a configuration problem, without the token', async () => {
    const token = `wrong-${randomUUID()}`;
    const error = await errorOf(vaultStore({ token }).get('nightscout/api_secret'));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/refused to read .* \(403\): check VAULT_TOKEN/);
    expect(JSON.stringify({ message: error.message, cause: String(error.cause), stack: error.stack })).not.toContain(token);
  });

  it('reports an unreachable Vault as upstream unavailable (retryable)', async () => {
    const port = await closedPort();
    const error = await errorOf(vaultStore({ address: `http://127.0.0.1:${port}` }).get('nightscout/api_secret'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toBe(`vault at http://127.0.0.1:${port} is unreachable (ECONNREFUSED)`);
  });
});

describe('metadata loader with secret references', () => {
  it('resolves a system from OpenBao (SECRET_STORE=vault)', async () => {
    const secrets = createSecretStore(loadSecretConfig({ ...process.env, SECRET_STORE: 'vault', VAULT_PATH_PREFIX: prefix }));
    const nightscout = await createMetadataLoader({ store, models, secrets }).loadSystem('NSC01');
    expect(nightscout.type === 'nightscout' && nightscout.connection.api_secret).toBe(NIGHTSCOUT_SECRET);
  });

  it('resolves systems from OpenFaaS secret files (SECRET_STORE=files)', async () => {
    const secrets = createSecretStore(loadSecretConfig({ ...process.env, SECRET_STORE: 'files', SECRETS_DIR: secretsDir }));
    const loader = createMetadataLoader({ store, models, secrets });
    const bunq = await loader.loadSystem('BNQ01');
    expect(bunq.type === 'bunq' && bunq.connection.api_key).toBe(BUNQ_KEY);
    const nightscout = await loader.loadSystem('NSC01');
    expect(nightscout.type === 'nightscout' && nightscout.connection.api_secret).toBe(NIGHTSCOUT_SECRET);
  });

  it('fails a missing secret with the key and the store, and leaves the cached metadata unresolved', async () => {
    const loader = createMetadataLoader({ store, models, secrets: vaultStore() });
    await expect(loader.loadSystem('BNQ01')).rejects.toThrow(`secret "bunq/api_key" not found in vault (mount secret, path ${prefix}/bunq`);
    const bunq = (await loader.load()).systems.find((system) => system.id === 'BNQ01');
    expect(bunq?.type === 'bunq' && bunq.connection.api_key).toEqual({ type: 'secret', key: 'bunq/api_key' });
  });

  it('never writes a resolved value back to MongoDB', async () => {
    const loader = createMetadataLoader({ store, models, secrets: createFileSecretStore(secretsDir) });
    const before = await snapshotDatabase(client, database);
    await loader.loadSystem('NSC01');
    await loader.loadSystem('BNQ01');
    const after = await snapshotDatabase(client, database);
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toContain(NIGHTSCOUT_SECRET);
    expect(JSON.stringify(after)).not.toContain(BUNQ_KEY);
  });
});

describe('secret values and logs', () => {
  it('keeps resolved values out of every log line and error, at trace level', async () => {
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ function: 'connector-nightscout' }, capture);
    log.level = 'trace';
    const secrets = vaultStore();
    const loader = createMetadataLoader({ store, models, secrets, log });

    // What a function does: load, resolve its own system, log what it does with it.
    const nightscout = await loader.loadSystem('NSC01');
    if (nightscout.type !== 'nightscout') throw new Error('fixture changed');
    log.info({ system_id: nightscout.id, base_url: nightscout.connection.base_url }, 'connector started');
    // A careless line that logs the connection settings: the redaction paths still censor the secret.
    log.debug({ connection: nightscout.connection }, 'connection settings');
    // A failure path: the error is logged the way functions log errors.
    const failure = await errorOf(loader.loadSystem('BNQ01'));
    log.error({ err: failure }, 'system could not be loaded');
    const refused = await errorOf(vaultStore({ token: 'not-the-token' }).get('nightscout/api_secret'));
    log.error({ err: refused }, 'vault refused');

    const output = lines.join('');
    expect(output).toContain('connector started');
    expect(output).toContain('"api_secret":"[redacted]"');
    expect(output).toContain('secret \\"bunq/api_key\\" not found in vault');
    expect(output).not.toContain(NIGHTSCOUT_SECRET);
    expect(output).not.toContain(env.VAULT_TOKEN);
    expect(output).not.toContain('not-the-token');
    for (const error of [failure, refused]) {
      expect(`${error.message} ${error.stack ?? ''} ${String(error.cause)}`).not.toContain(NIGHTSCOUT_SECRET);
    }
  });
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
