/**
 * The local faas-provider (faasd's role), started by dev/services.sh: `node --import tsx dev/openfaas/provider/main.ts`.
 * Settings from the environment (dev/services/openfaas.sh sets them all): PROVIDER_PORT (8081), PROVIDER_STATE_DIR,
 * OPENFAAS_IMAGES_DIR, BASIC_AUTH_DIR (basic-auth-user and basic-auth-password, the gateway's), OF_WATCHDOG,
 * FUNCTION_BRIDGE, FUNCTION_HOST_IP, service_timeout (Go duration, faasd's default 60s). Logs JSON lines on stdout.
 * SIGTERM or SIGINT stops every replica and exits; the deployments stay saved for the next start.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../../shared/log.ts';
import { parseGoDuration } from '../../../templates/dataplatform-node20/settings.ts';
import { serveApi } from './http-api.ts';
import { Provider } from './provider.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (dev/services/openfaas.sh sets it)`);
  return value;
}

/** faasd's `service_timeout` (a Go duration or whole seconds), named in the error when it is not one. */
function serviceTimeoutMs(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined) throw new Error(`service_timeout "${text}" is not a duration (60s, 1m30s or whole seconds)`);
  return ms;
}

async function main(): Promise<void> {
  const log = createLogger({ component: 'provider' });
  const authDir = required('BASIC_AUTH_DIR');
  const credentials = {
    user: (await readFile(path.join(authDir, 'basic-auth-user'), 'utf8')).trim(),
    password: (await readFile(path.join(authDir, 'basic-auth-password'), 'utf8')).trim(),
  };
  const provider = await Provider.start({
    stateDir: required('PROVIDER_STATE_DIR'),
    imagesDir: required('OPENFAAS_IMAGES_DIR'),
    watchdogPath: required('OF_WATCHDOG'),
    bridge: process.env.FUNCTION_BRIDGE ?? 'openfaas0',
    hostIp: process.env.FUNCTION_HOST_IP ?? '10.62.0.1',
    log,
  });
  const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const port = Number(process.env.PROVIDER_PORT ?? '8081');
  const server = await serveApi(
    { provider, credentials, serviceTimeoutMs: serviceTimeoutMs(process.env.service_timeout ?? '60s'), version: manifest.version, log },
    port,
  );
  log.info({ port }, 'provider listening on 127.0.0.1');
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    void provider.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`provider: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
