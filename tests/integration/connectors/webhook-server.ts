/**
 * The webhook function as it is deployed (its handler behind the template's server, public as its module declares),
 * with the deps of a landing test environment: what the webhook tests and the webhook fuzzing share.
 */
import { access, webhookHandler } from '../../../functions/webhook/handler.ts';
import { createGatewayClient } from '../../../shared/adapters/gateway/gateway-client.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createFunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { serve, type RunningServer } from '../../../templates/dataplatform-node20/server.ts';
import type { LandingEnv } from './landing-env.ts';

/** Serves the webhook on a free port over `env`'s databases, `metadata`, and the gateway at `gatewayUrl`. */
export async function startWebhookServer(env: LandingEnv, metadata: LoadedMetadata, gatewayUrl: string, maxBodyBytes?: number): Promise<RunningServer> {
  const deps = createFunctionDeps({
    name: 'webhook',
    pool: env.db.pool,
    mongo: env.mongo,
    metadataLoader: staticMetadataLoader(metadata, env.secrets),
    gateway: createGatewayClient({ baseUrl: gatewayUrl }),
    log: env.log,
  });
  return serve(webhookHandler({ deps, databases: { landing: env.landingDatabase, state: env.stateDatabase } }), {
    name: 'webhook',
    access,
    port: 0,
    ownsProcess: false,
    logger: env.log,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  });
}
