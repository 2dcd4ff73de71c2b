import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../../shared/errors.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import { createAsyncRoute } from './async-route.ts';
import { AsyncQueue, CE_QUEUE_SETTINGS, type Delivery, type QueueState } from './async-queue.ts';
import { hasValidCredentials, loadCredentials, type Credentials } from './basic-auth.ts';
import { CronConnector, type CronEntry, type CronFiring } from './cron.ts';
import { FunctionProcess } from './function-process.ts';
import { createFunctionProxy } from './function-proxy.ts';
import { LogStore, type LogMessage, type LogQuery } from './logs.ts';
import { createQueueWorker, type QueuedCall } from './queue-worker.ts';
import { createRouter } from './router.ts';
import { loadStack, type Stack } from './stack-file.ts';
import { createSystemApi, omitEmpty, type FunctionStatus } from './system-api.ts';

/** The gateway's plain settings (what the command line and the environment can set); paths are relative to `root`. */
export const GatewaySettings = z.strictObject({
  /** Project folder: the stack file, watchdog and state folders are resolved against it. */
  root: z.string().default(process.cwd()),
  stackFile: z.string().default('stack.yml'),
  /** Serve only these functions of the stack (all when absent). */
  functions: z.array(z.string()).optional(),
  host: z.string().default('127.0.0.1'),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(8080),
  watchdogPath: z.string().default('.local/bin/watchdog'),
  /** Password file, per-function temp and secret folders. */
  stateDir: z.string().default('.local/gateway'),
  /** The secret store, one file per secret (what `/var/openfaas/secrets/` holds in a container). */
  secretStoreDir: z.string().default('.local/secrets'),
  /** `/system/*` password; else `GATEWAY_PASSWORD`, else `<stateDir>/basic-auth-password`. */
  password: z.string().min(1).optional(),
  /** The gateway's `upstream_timeout` (60 s on faasd): a sync call still running then gets 502. */
  upstreamTimeoutMs: z.number().int().positive().default(60_000),
  queue: z
    .strictObject({
      concurrency: z.number().int().min(1).default(CE_QUEUE_SETTINGS.concurrency),
      ackWaitMs: z.number().int().min(0).default(CE_QUEUE_SETTINGS.ackWaitMs),
    })
    .default({ concurrency: CE_QUEUE_SETTINGS.concurrency, ackWaitMs: CE_QUEUE_SETTINGS.ackWaitMs }),
  cron: z
    .strictObject({
      enabled: z.boolean().default(true),
      async: z.boolean().default(false),
      tickMs: z.number().int().min(0).default(1000),
    })
    .default({ enabled: true, async: false, tickMs: 1000 }),
  /** Output lines kept per function for `/system/logs`. */
  logLines: z.number().int().min(1).default(1000),
  startupTimeoutMs: z.number().int().positive().default(15_000),
  stopGraceMs: z.number().int().min(0).default(3000),
});
export type GatewaySettings = z.infer<typeof GatewaySettings>;

/** `startGateway`'s options: the settings, plus what only code can pass. */
export type GatewayOptions = z.input<typeof GatewaySettings> & {
  /** The gateway's logger (default: pino JSON on stdout, `component: gateway`). */
  readonly log?: Logger;
  /** Time source of the cron connector (tests use a fake one with `cron.tickMs: 0` and `tickCron()`). */
  readonly clock?: () => Date;
  /** Every function output line, as it is captured (main echoes them to stdout). */
  readonly onFunctionLog?: (message: LogMessage) => void;
  /** Environment for `${VAR}` substitution in the stack file (default: `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
};

/** A running local gateway. */
export interface Gateway {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The `/system/*` credentials (user `admin`). */
  readonly credentials: Credentials;
  readonly stack: Stack;
  /** Names of the functions this gateway serves. */
  readonly functions: readonly string[];
  /** Resolves when no async call is queued or running and no cron call is waiting for its answer. */
  waitForIdle(): Promise<void>;
  queueState(): QueueState;
  /** Fires the cron entries due at the clock's time; resolves with their answers. */
  tickCron(): Promise<CronFiring[]>;
  cronEntries(): CronEntry[];
  /** The captured output lines of one function. */
  logs(query: LogQuery): LogMessage[];
  /** Stops cron, the queue (dropping pending calls), the server and every function process. */
  stop(): Promise<void>;
}

/**
 * Starts the local OpenFaaS gateway: loads the stack, starts each function behind the watchdog, and serves
 * the gateway's routes (sync and async invoke, `/system/*`, `/healthz`) plus cron-connector's schedules.
 * Resolves once every function is ready.
 *
 * @example
 * const gateway = await startGateway({ port: 0, functions: ['healthcheck'] });
 * const answer = await fetch(`${gateway.url}/function/healthcheck`);
 * await gateway.stop();
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const { log: givenLog, clock = () => new Date(), onFunctionLog, env = process.env, ...plain } = options;
  const parsed = GatewaySettings.safeParse(plain);
  if (!parsed.success) {
    throw new ConfigurationError(`gateway settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const settings = parsed.data;
  const log = givenLog ?? createLogger({ component: 'gateway' });
  const at = (relative: string): string => path.resolve(settings.root, relative);

  const stack = await loadStack(at(settings.stackFile), env);
  const wanted = settings.functions;
  const unknown = (wanted ?? []).filter((name) => !stack.functions.some((fn) => fn.name === name));
  if (unknown.length > 0) throw new ConfigurationError(`not in ${stack.file}: ${unknown.join(', ')}`);
  const served = stack.functions.filter((fn) => wanted === undefined || wanted.includes(fn.name));
  const credentials = await loadCredentials(at(settings.stateDir), settings.password, env);
  // Each instance gets its own folder, so two gateways (a developer's and a test's) never share lock files.
  await mkdir(at(settings.stateDir), { recursive: true });
  await removeStaleRunDirs(at(settings.stateDir));
  const runDir = await mkdtemp(path.join(at(settings.stateDir), `run-${process.pid}-`));

  const logStore = new LogStore(settings.logLines, onFunctionLog);
  const processes = new Map<string, FunctionProcess>();
  const invocations = new Map<string, number>();
  // The worker calls the gateway's own sync route, whose port is known only once the server listens.
  const worker: { deliver?: (call: QueuedCall, delivery: Delivery) => Promise<void> } = {};

  const queue = new AsyncQueue<QueuedCall>(
    (call, delivery) => worker.deliver?.(call, delivery) ?? Promise.resolve(),
    settings.queue,
    (call) => ({ function: call.function, call_id: call.callId, queued_at: call.queuedAt, path: call.path }),
  );
  const listFunctions = (): FunctionStatus[] =>
    served.map((fn) => {
      const running = processes.get(fn.name);
      const available = running?.port === undefined ? 0 : 1;
      return omitEmpty<FunctionStatus>({
        name: fn.name,
        image: fn.image,
        namespace: fn.namespace,
        envProcess: running?.environment.fprocess ?? fn.fprocess ?? '',
        envVars: running?.envVars ?? { ...fn.environment },
        secrets: fn.secrets,
        labels: fn.labels,
        annotations: fn.annotations,
        limits: fn.limits,
        requests: fn.requests,
        invocationCount: invocations.get(fn.name) ?? 0,
        replicas: 1,
        availableReplicas: available,
        createdAt: (running?.createdAt ?? new Date()).toISOString(),
      });
    });

  const router = createRouter({
    invoke: createFunctionProxy({
      findFunction: (name) => (served.some((fn) => fn.name === name) ? { port: processes.get(name)?.port } : undefined),
      countInvocation: (name) => invocations.set(name, (invocations.get(name) ?? 0) + 1),
      upstreamTimeoutMs: settings.upstreamTimeoutMs,
      log,
    }),
    enqueue: createAsyncRoute({ enqueue: (call) => void queue.enqueue(call), log }),
    system: createSystemApi({
      listFunctions,
      logs: logStore,
      queueState: () => queue.state(),
      secretStoreDir: at(settings.secretStoreDir),
      log,
    }),
    isAuthorized: (req) => hasValidCredentials(req, credentials),
  });
  const server = http.createServer(router);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const gatewayUrl = `http://127.0.0.1:${port}`;
  worker.deliver = createQueueWorker({ gatewayUrl, log });

  const stopFunctions = (): Promise<void[]> =>
    Promise.all([...processes.values()].map((running) => running.stop(settings.stopGraceMs)));
  const closeServer = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  // allSettled, not all: when one function fails, the others must have finished starting before they are stopped.
  const started = await Promise.allSettled(
    served.map(async (fn) => {
      const running = await FunctionProcess.start({
        fn,
        watchdogPath: at(settings.watchdogPath),
        runDir,
        secretStoreDir: at(settings.secretStoreDir),
        logs: logStore,
        log,
        startupTimeoutMs: settings.startupTimeoutMs,
      });
      processes.set(fn.name, running);
    }),
  );
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await stopFunctions();
    await closeServer();
    await rm(runDir, { recursive: true, force: true });
    throw failure.reason;
  }

  const cron = new CronConnector(served, { gatewayUrl, async: settings.cron.async, clock, tickMs: settings.cron.tickMs, log });
  if (settings.cron.enabled) cron.start();
  log.info(
    {
      url: gatewayUrl,
      functions: served.map((fn) => fn.name),
      password_file: credentials.passwordFile,
      cron: cron.entries().map((entry) => ({ function: entry.name, schedule: entry.schedule })),
    },
    'gateway listening',
  );

  let stopped: Promise<void> | undefined;
  return {
    url: gatewayUrl,
    port,
    credentials,
    stack,
    functions: served.map((fn) => fn.name),
    queueState: () => queue.state(),
    tickCron: () => cron.tick(),
    cronEntries: () => cron.entries(),
    logs: (query) => logStore.read(query),
    async waitForIdle() {
      // An async cron call lands in the queue, so wait until both are idle at the same moment.
      for (;;) {
        await cron.waitForIdle();
        await queue.waitForIdle();
        const state = queue.state();
        if (cron.isIdle() && state.pending + state.inFlight + state.running === 0) return;
      }
    },
    stop() {
      stopped ??= (async () => {
        cron.stop();
        queue.close();
        await closeServer();
        await stopFunctions();
        await rm(runDir, { recursive: true, force: true });
        log.info('gateway stopped');
      })();
      return stopped;
    },
  };
}

/** Removes the run folders of gateways that are gone (a crash or a killed test worker leaves them behind). */
async function removeStaleRunDirs(stateDir: string): Promise<void> {
  for (const entry of await readdir(stateDir)) {
    const pid = Number(/^run-(\d+)-/.exec(entry)?.[1]);
    if (!Number.isInteger(pid) || pid === 0 || isAlive(pid)) continue;
    await rm(path.join(stateDir, entry), { recursive: true, force: true });
  }
}

/** True when a process with this id exists (signal 0 only checks, it sends nothing). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
