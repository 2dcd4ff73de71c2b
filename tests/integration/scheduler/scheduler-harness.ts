import type pg from 'pg';
import { access as schedulerAccess, scheduler } from '../../../functions/scheduler/handler.ts';
import { createGatewayClient } from '../../../shared/adapters/gateway/gateway-client.ts';
import { createLogger } from '../../../shared/log.ts';
import type { LoadedMetadata, MetadataLoader } from '../../../shared/metadata/metadata-loader.ts';
import { defineFunction } from '../../../shared/runtime/define-function.ts';
import { createFunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { serve, type RunningServer } from '../../../templates/dataplatform-node20/server.ts';
import { TEST_CALL_TOKEN } from '../../fixtures/call-token.ts';

/** The scheduler's answer to one tick. */
export interface TickAnswer {
  readonly status: number;
  readonly body: {
    status: string;
    started: Array<{ system_id: string; fired_at: string; batch_id: string; connector: string }>;
    started_actions: Array<{ action_id: string; fired_at: string; run_id: string; function: string }>;
    requeued: number;
    requeued_runs: Array<Record<string, unknown>>;
    delivered: number;
    delivery_failed: number;
    error?: string;
    failed_steps?: string[];
  };
}

/**
 * One tick by a scheduler process of its own, as cron-connector calls it (POST, no body, no content type, its two
 * headers): the `scheduler` function served on a free port like in production (template server, `defineFunction`)
 * with its deps injected — the given pool (a second pool makes a second, concurrent scheduler), metadata in memory,
 * the gateway at `gatewayUrl` and the clock at `now` — then closed.
 */
export async function tickScheduler(options: {
  readonly pool: pg.Pool;
  readonly metadata: LoadedMetadata | MetadataLoader;
  readonly gatewayUrl: string;
  readonly now: Date;
  readonly callId?: string;
}): Promise<TickAnswer> {
  const metadataLoader = 'load' in options.metadata ? options.metadata : staticMetadataLoader(options.metadata, createEnvSecretStore({}));
  const deps = createFunctionDeps({
    name: 'scheduler',
    pool: options.pool,
    metadataLoader,
    gateway: createGatewayClient({ baseUrl: options.gatewayUrl, timeoutMs: 2_000 }),
    now: () => options.now,
  });
  const logger = createLogger({ function: 'scheduler' }, { write: () => undefined });
  const server: RunningServer = await serve(defineFunction(scheduler, { deps }), { port: 0, ownsProcess: false, logger, access: schedulerAccess, callToken: TEST_CALL_TOKEN });
  try {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'x-topic': 'cron-function', 'x-connector': 'cron-connector', 'x-call-id': options.callId ?? `tick-${Math.random().toString(16).slice(2)}` },
    });
    return { status: response.status, body: (await response.json()) as TickAnswer['body'] };
  } finally {
    await server.close();
  }
}
