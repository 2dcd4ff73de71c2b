import type { Handler } from '../../shared/handler.ts';

// Replaced by dev/build.ts (esbuild `define`) with package.json's version; unbundled runs (tests) say 'dev'.
const version = process.env.DATAPLATFORM_VERSION ?? 'dev';

/**
 * The platform's liveness probe through the gateway: proves that the gateway, the watchdog and the template
 * server answer, and says which platform version is deployed. It touches no service on purpose, so it stays
 * green while a database is down (the dashboard reports those).
 */
export const handler: Handler = (_event, context) => ({
  function: 'healthcheck',
  status: 'ok',
  version,
  call_id: context.callId ?? null,
});
