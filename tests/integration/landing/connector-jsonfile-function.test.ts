import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { connectorJsonfile } from '../../../functions/connector-jsonfile/handler.ts';
import { createLogger } from '../../../shared/log.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { defineFunction } from '../../../shared/runtime/define-function.ts';
import { createFunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { serve, type RunningServer } from '../../../templates/dataplatform-node20/server.ts';
import { createTst01Env, type Tst01Env } from './tst01-env.ts';
import { TEST_CALL_AUTH, TEST_CALL_TOKEN } from '../../fixtures/call-token.ts';

let env: Tst01Env;
let server: RunningServer;
const saved = { LANDING_DB: process.env.LANDING_DB, exec_timeout: process.env.exec_timeout };

beforeAll(async () => {
  env = await createTst01Env('function');
  await generateTestData({ seed: 5, batches: 2, out: env.dir, models });
  process.env.LANDING_DB = env.landingDatabase;
  process.env.exec_timeout = '90s';
  const deps = createFunctionDeps({
    name: 'connector-jsonfile',
    pool: env.db.pool,
    mongo: env.mongo,
    metadataLoader: staticMetadataLoader(env.metadata, createEnvSecretStore({})),
  });
  const logger = createLogger({ function: 'connector-jsonfile' }, { write: () => undefined });
  server = await serve(defineFunction(connectorJsonfile, { deps }), { port: 0, ownsProcess: false, logger, callToken: TEST_CALL_TOKEN });
});

afterAll(async () => {
  await server.close();
  process.env.LANDING_DB = saved.LANDING_DB;
  process.env.exec_timeout = saved.exec_timeout;
  if (saved.LANDING_DB === undefined) delete process.env.LANDING_DB;
  if (saved.exec_timeout === undefined) delete process.env.exec_timeout;
  await env.close();
});

async function invoke(body: unknown, callId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-call-id': callId, ...TEST_CALL_AUTH },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('connector-jsonfile', () => {
  it('lands the next batch and answers its counts; the call id reaches the audit row', async () => {
    const answer = await invoke({ system_id: 'TST01' }, 'call-fn-1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', description: 'batch-0001', bronze_calls: 6, counts: { customers: 12, products: 6, readings: 20 } });
    const run = await env.db.pool.query('select call_id, timeout_seconds from audit.system_run where run_id = $1', [answer.body.run_id]);
    expect(run.rows).toEqual([{ call_id: 'call-fn-1', timeout_seconds: 90 }]);
    const stored = await env.mongo.db(env.landingDatabase).collection('TST01__products').countDocuments({ '_dp.run_id': answer.body.run_id });
    expect(stored).toBe(6);
  });

  it('answers a bad payload with 400 and the issue paths', async () => {
    const answer = await invoke({ system_id: 'TST01', batch_id: 'nope', extra: true }, 'call-fn-2');
    expect(answer.status).toBe(400);
    expect(answer.body.issues).toEqual(['batch_id: Invalid UUID', '(root): Unrecognized key: "extra"']);
  });

  it('answers a landing that failed on its data with 422 and the reason', async () => {
    const file = join(env.dir, 'batch-0002', 'readings.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;
    await appendFile(file, '{"Thermometer": \n');
    const answer = await invoke({ system_id: 'TST01' }, 'call-fn-3');
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ status: 'failed', error: 'data_rejected', message: `batch-0002/readings.jsonl line ${lines + 1}: not JSON` });
  });

  it('answers a call for a batch that already succeeded with 200 skipped', async () => {
    const first = await env.db.pool.query(`select batch_id from audit.system_run where call_id = 'call-fn-1'`);
    const answer = await invoke({ system_id: 'TST01', batch_id: (first.rows[0] as { batch_id: string }).batch_id }, 'call-fn-4');
    expect(answer).toMatchObject({ status: 200, body: { status: 'skipped', reason: 'already_succeeded' } });
  });
});
