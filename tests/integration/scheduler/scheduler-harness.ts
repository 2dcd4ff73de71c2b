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

/** A scheduler served like in production (template server, `defineFunction`), with injected deps. */
export interface SchedulerUnderTest {
  /** Calls it the way cron-connector does: POST, no body, no content type, its two headers. */
  tick(callId?: string): Promise<TickAnswer>;
  close(): Promise<void>;
}

/**
 * Serves the `scheduler` function on a free port with its deps injected: the test database's pool (a second pool
 * makes a second, concurrent scheduler), metadata in memory, the gateway at `gatewayUrl`, and a fixed clock.
 */
export async function startScheduler(options: {
  readonly pool: pg.Pool;
  readonly metadata: LoadedMetadata | MetadataLoader;
  readonly gatewayUrl: string;
  readonly now: Date;
}): Promise<SchedulerUnderTest> {
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
  return {
    async tick(callId = `tick-${Math.random().toString(16).slice(2)}`) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'x-topic': 'cron-function', 'x-connector': 'cron-connector', 'x-call-id': callId },
      });
      return { status: response.status, body: (await response.json()) as TickAnswer['body'] };
    },
    close: () => server.close(),
  };
}
