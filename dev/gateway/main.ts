/**
 * `npx tsx dev/gateway/main.ts [--port 8080] [--stack stack.yml] [--function NAME]…`: the local OpenFaaS
 * gateway with every function of the stack, until SIGINT/SIGTERM. Settings: docs/local-gateway.md.
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { ConfigurationError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/log.ts';
import { parseGoDuration } from './cron.ts';
import { startGateway, type GatewayOptions } from './gateway.ts';

const HELP = `Usage: npx tsx dev/gateway/main.ts [options]

  --port N                 listen port (default 8080; GATEWAY_PORT)
  --host ADDR              listen address (default 127.0.0.1; GATEWAY_HOST)
  --stack FILE             stack file (default stack.yml)
  --function NAME          serve only this function (repeatable)
  --upstream-timeout DUR   sync call limit, Go duration (default 60s; GATEWAY_UPSTREAM_TIMEOUT)
  --queue-concurrency N    async calls in flight (default 1 = OpenFaaS CE; GATEWAY_QUEUE_CONCURRENCY)
  --ack-wait DUR           redeliver an async call still running after DUR, 0 = never
                           (default 5m5s = faasd; GATEWAY_ACK_WAIT)
  --cron-async             cron calls use /async-function (GATEWAY_CRON_ASYNC=true)
  --no-cron                do not run cron schedules
  --help                   this text

Environment: GATEWAY_PASSWORD (else .local/gateway/basic-auth-password, generated), GATEWAY_SECRETS_DIR
(default .local/secrets), GATEWAY_WATCHDOG (default .local/bin/watchdog).`;

/** Reads a Go duration setting (`60s`, `5m5s`, or plain seconds like the watchdog accepts). */
function durationMs(name: string, value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : parseGoDuration(value);
  if (ms === undefined) throw new ConfigurationError(`${name}: not a duration: ${value} (use e.g. 60s, 5m5s)`);
  return ms;
}

const Count = z.coerce.number().int();

/** Command line over environment over defaults. */
function readOptions(argv: string[], env: NodeJS.ProcessEnv): GatewayOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      stack: { type: 'string' },
      function: { type: 'string', multiple: true },
      'upstream-timeout': { type: 'string' },
      'queue-concurrency': { type: 'string' },
      'ack-wait': { type: 'string' },
      'cron-async': { type: 'boolean' },
      'no-cron': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return undefined;
  const port = values.port ?? env.GATEWAY_PORT;
  const upstream = values['upstream-timeout'] ?? env.GATEWAY_UPSTREAM_TIMEOUT;
  const concurrency = values['queue-concurrency'] ?? env.GATEWAY_QUEUE_CONCURRENCY;
  const ackWait = values['ack-wait'] ?? env.GATEWAY_ACK_WAIT;
  return {
    ...(port !== undefined ? { port: Count.parse(port) } : {}),
    ...((values.host ?? env.GATEWAY_HOST) !== undefined ? { host: values.host ?? env.GATEWAY_HOST } : {}),
    ...(values.stack !== undefined ? { stackFile: values.stack } : {}),
    ...(values.function !== undefined ? { functions: values.function } : {}),
    ...(env.GATEWAY_SECRETS_DIR !== undefined ? { secretStoreDir: env.GATEWAY_SECRETS_DIR } : {}),
    ...(env.GATEWAY_WATCHDOG !== undefined ? { watchdogPath: env.GATEWAY_WATCHDOG } : {}),
    ...(upstream !== undefined ? { upstreamTimeoutMs: durationMs('upstream timeout', upstream) } : {}),
    queue: {
      ...(concurrency !== undefined ? { concurrency: Count.parse(concurrency) } : {}),
      ...(ackWait !== undefined ? { ackWaitMs: durationMs('ack wait', ackWait) } : {}),
    },
    cron: {
      enabled: !values['no-cron'],
      async: values['cron-async'] === true || ['true', '1'].includes(env.GATEWAY_CRON_ASYNC ?? ''),
    },
  };
}

async function main(): Promise<void> {
  const log = createLogger({ component: 'gateway' });
  const options = readOptions(process.argv.slice(2), process.env);
  if (!options) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const functionLog = log.child({ source: 'function' });
  const gateway = await startGateway({
    ...options,
    log,
    onFunctionLog: (line) => functionLog.info({ function: line.name, text: line.text }, 'function output'),
  });
  process.stdout.write(`local OpenFaaS gateway on ${gateway.url} (functions: ${gateway.functions.join(', ')})\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'gateway stopping');
    gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'gateway stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
