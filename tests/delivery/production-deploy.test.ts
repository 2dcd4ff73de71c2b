/**
 * deploy/faasd/deploy.sh for real, against the local OpenFaaS stack (docs/local-openfaas.md): secrets, migrations and
 * metadata as one-shot steps, then `faas-cli deploy` of the whole stack with PLATFORM_ENV=production, into a namespace
 * of its own, on a database and a metadata database of its own: every function must start (each checks the production
 * settings it was given). Then the refusal: an image in production without its secrets never becomes ready and says
 * why in its log.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardDatabaseUrl,
  faasCli,
  faasCliLogin,
  functionSideUrl,
  GATEWAY_URL,
  gatewayCredentials,
  listFunctions,
  waitUntilReady,
} from '../../dev/openfaas/local-stack.ts';
import { loadStack } from '../../dev/openfaas/stack-file.ts';
import { connectMongo } from '../../shared/adapters/mongo/mongo-client.ts';
import { loadEnv } from '../../shared/config.ts';
import { createTestDatabase, type TestDatabase } from '../integration/postgres/test-database.ts';
import { ROOT } from './delivery-tools.ts';

const suffix = randomBytes(4).toString('hex');
const NAMESPACE = `dp-deploy-${suffix}`;
const METADATA_DB = `dp_deploy_${suffix}`;
const CALL_TOKEN = randomBytes(24).toString('hex');

let db: TestDatabase;
let mongo: MongoClient;
let configDir: string;
/** faas-cli's own login for this file, so the user's ~/.openfaas is left alone. */
let cliEnv: NodeJS.ProcessEnv;
let deployOutput = '';
let deployStatus: number | null = null;

beforeAll(async () => {
  const health = await fetch(`${GATEWAY_URL}/healthz`).catch(() => undefined);
  if (!health?.ok) throw new Error(`the local gateway does not answer on ${GATEWAY_URL}/healthz: run npm run services -- up`);
  configDir = await mkdtemp(path.join(tmpdir(), 'dp-deploy-'));
  cliEnv = { OPENFAAS_CONFIG: path.join(configDir, '.openfaas'), OPENFAAS_URL: GATEWAY_URL };
  await faasCliLogin(cliEnv);
  const created = await faasCli(['namespace', 'create', NAMESPACE], { env: cliEnv });
  if (created.code !== 0) throw new Error(`faas-cli namespace create failed: ${created.stderr}${created.stdout}`);
  db = await createTestDatabase({ migrate: false });
  mongo = await connectMongo(loadEnv().MONGODB_URL);

  const env = loadEnv();
  const run = spawnSync('bash', ['deploy/faasd/deploy.sh'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...cliEnv,
      OPENFAAS_PASSWORD: gatewayCredentials().password,
      REGISTRY: 'localhost:5000',
      TAG: 'latest',
      FUNCTION_NAMESPACE: NAMESPACE,
      METADATA_DB,
      // What the functions are given (this machine is 10.62.0.1 on the function network) and what the deploy itself uses.
      DATABASE_URL: functionSideUrl(db.url),
      DASHBOARD_DATABASE_URL: functionSideUrl(dashboardDatabaseUrl(db.url)),
      // Not the development root token, which production refuses; no Vault secret is read here.
      VAULT_TOKEN: randomBytes(16).toString('hex'),
      MIGRATION_DATABASE_URL: db.url,
      MONGODB_URL: functionSideUrl(env.MONGODB_URL),
      METADATA_MONGODB_URL: env.MONGODB_URL,
      DATAPLATFORM_CALL_TOKEN: CALL_TOKEN,
    },
  });
  deployStatus = run.status;
  deployOutput = `${run.stdout}${run.stderr}`;
});

afterAll(async () => {
  if (cliEnv) await faasCli(['namespace', 'delete', NAMESPACE], { env: cliEnv });
  await mongo?.db(METADATA_DB).dropDatabase();
  await mongo?.close();
  await db?.drop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('deploy/faasd/deploy.sh', () => {
  it('stores the secrets, migrates, deploys the metadata, then the functions in production', () => {
    expect({ status: deployStatus, output: deployOutput }).toMatchObject({ status: 0 });
    const secrets = ['database-url', 'dashboard-database-url', 'mongodb-url', 'vault-token', 'call-token', 'gateway-password'];
    for (const said of [...secrets.map((name) => `secret dataplatform-${name} stored`), 'migrations: applied 0001_', `to MongoDB database "${METADATA_DB}"`]) {
      expect(deployOutput).toContain(said);
    }
    // No connection value is printed.
    expect(deployOutput).not.toContain(db.name);
    expect(deployOutput).not.toContain(CALL_TOKEN);
    expect(deployOutput).not.toContain(gatewayCredentials().password);
  });

  it('deploys every function of stack.yml, and each starts with its production secrets', async () => {
    const stack = await loadStack(path.join(ROOT, 'stack.yml'), { PLATFORM_ENV: 'production' });
    expect(deployOutput.match(/^Deploying: .*$/gm)).toHaveLength(stack.functions.length);
    await waitUntilReady(stack.functions.map((fn) => fn.name), { namespace: NAMESPACE, timeoutMs: 120_000 });
  });

  it('a function reads its connections from the secrets, not from its variables', async () => {
    const scheduler = (await listFunctions(NAMESPACE)).find((fn) => fn.name === 'scheduler');
    // The variable is stack.yml's development default: the deploy gave the real URL only as a secret.
    expect(scheduler?.envVars?.PLATFORM_ENV).toBe('production');
    expect(scheduler?.envVars?.DATABASE_URL ?? '').not.toContain(db.name);
    // A bodiless tick (cron-connector's) records the systems' schedules in the database the secret names.
    const tick = await fetch(`${GATEWAY_URL}/function/scheduler.${NAMESPACE}`, { method: 'POST' });
    expect({ status: tick.status, body: await tick.text() }).toMatchObject({ status: 200 });
    const schedules = await db.pool.query<{ count: string }>('select count(*) from audit.system_schedule');
    expect(Number(schedules.rows[0]?.count)).toBeGreaterThan(0);
  });

  it('a production function missing its secrets refuses to start and logs what to give', async () => {
    const name = 'scheduler-without-secrets';
    const deployed = await faasCli(
      ['deploy', '--image', 'localhost:5000/dataplatform-scheduler:latest', '--name', name, '--namespace', NAMESPACE, '--gateway', GATEWAY_URL,
        '--env', 'PLATFORM_ENV=production', '--env', 'DATABASE_URL=postgres://dataplatform:dataplatform@10.62.0.1:55432/dataplatform',
        '--env', 'MONGODB_URL=mongodb://10.62.0.1:27017/', '--secret', 'dataplatform-call-token'],
      // Not in the checkout: there faas-cli would read ./stack.yml and deploy it instead of this one image.
      { env: cliEnv, cwd: configDir },
    );
    expect({ code: deployed.code, said: `${deployed.stdout}${deployed.stderr}` }).toMatchObject({ code: 0 });
    const deadline = Date.now() + 30_000;
    let log = '';
    while (Date.now() < deadline && !log.includes('refusing to start')) {
      log = (await faasCli(['logs', name, '--namespace', NAMESPACE, '--tail=false', '--gateway', GATEWAY_URL], { env: cliEnv, timeoutMs: 10_000 })).stdout;
      if (!log.includes('refusing to start')) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(log).toContain('refusing to start: a production setting is missing');
    expect(log).toContain('DATABASE_URL must come from the OpenFaaS secret dataplatform-database-url');
    const listed = (await listFunctions(NAMESPACE)).find((fn) => fn.name === name);
    expect(listed?.availableReplicas ?? 0).toBe(0);
  });
});
