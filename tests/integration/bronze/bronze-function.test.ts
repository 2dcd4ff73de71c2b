import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bronze } from '../../../functions/bronze/handler.ts';
import { createLogger } from '../../../shared/log.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { defineFunction } from '../../../shared/runtime/define-function.ts';
import { createFunctionDeps, type FunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { serve, type RunningServer } from '../../../templates/dataplatform-node20/server.ts';
import { createBronzeTestEnv, type BronzeTestEnv } from './bronze-test-env.ts';
import { customer, tst01Batch } from './tst01-records.ts';
import { TEST_CALL_AUTH, TEST_CALL_TOKEN } from '../../fixtures/call-token.ts';

describe('the bronze function', () => {
  let env: BronzeTestEnv;
  let deps: FunctionDeps;
  let server: RunningServer;
  beforeAll(async () => {
    env = await createBronzeTestEnv('bronze_function');
    // the function reads landing from LANDING_DB, like the stack's environment sets it
    process.env.LANDING_DB = env.landingDatabase;
    const metadata: LoadedMetadata = { ...env.metadata, generation: 'test', deployed_at: new Date() };
    deps = createFunctionDeps({ name: 'bronze', pool: env.db.pool, mongo: env.mongo, metadataLoader: staticMetadataLoader(metadata, createEnvSecretStore({})) });
    const logger = createLogger({ function: 'bronze' }, { write: () => undefined });
    server = await serve(defineFunction(bronze, { deps }), { port: 0, ownsProcess: false, logger, callToken: TEST_CALL_TOKEN });
  });
  afterAll(async () => {
    await server.close();
    await env.close();
  });

  const post = async (body: unknown, callId: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-call-id': callId, ...TEST_CALL_AUTH }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers a chained call with the run and its counts, then skips the same call', async () => {
    const landed = await env.land('TST01', tst01Batch());
    const payload = { batch_id: landed.batch_id, system_id: 'TST01', entity_id: 'test_customer_order', parent_call_id: 'call-landing' };
    const first = await post(payload, 'call-fn-1');
    expect(first).toMatchObject({ status: 200, body: { status: 'succeeded', counts: { records_in: 5, records_inserted: 4, records_rejected: 0, records_deleted: 0 } } });
    const rows = await env.db.pool.query(`select distinct "_dp_call_id" as call_id from bronze.test_customer_order where "_dp_batch_id" = $1`, [landed.batch_id]);
    expect(rows.rows).toEqual([{ call_id: 'call-fn-1' }]);
    const run = await env.db.pool.query(`select call_id, parent_call_id from audit.entity_layer_run where run_id = $1`, [first.body.run_id]);
    expect(run.rows).toEqual([{ call_id: 'call-fn-1', parent_call_id: 'call-landing' }]);

    expect(await post(payload, 'call-fn-2')).toMatchObject({ status: 200, body: { status: 'skipped', reason: 'already_succeeded' } });
  });

  it('answers 422 with the failed checks when the batch is rejected', async () => {
    const records = tst01Batch();
    records.customers![0] = customer('c-3', { name: null });
    const landed = await env.land('TST01', records);
    const answer = await post({ batch_id: landed.batch_id, system_id: 'TST01', entity_id: 'test_customer' }, 'call-fn-3');
    expect(answer).toMatchObject({
      status: 422,
      body: { status: 'failed', error: 'data_rejected', failed_checks: ['not_null'], message: 'entity test_customer: 1 check failed: not_null on name (observed 1, expected 0)' },
    });
  });

  it('answers 400 for a bad payload and 404 for an unknown entity', async () => {
    expect(await post({ batch_id: 'nope', system_id: 'TST01' }, 'call-fn-4')).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
    const landed = await env.land('TST01', tst01Batch());
    expect(await post({ batch_id: landed.batch_id, system_id: 'TST01', entity_id: 'unknown_entity' }, 'call-fn-5')).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });
});
