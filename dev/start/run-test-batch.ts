/**
 * Runs one batch of a system through the platform, the way production does: the connector is called on the
 * gateway's async route (`faas-cli invoke --async`, as a schedule's start is), the chain then moves by itself (each
 * function delivers the calls it announced; the scheduler delivers the rest), and this drives the scheduler every
 * second instead of waiting for cron-connector's minute, until the session's work has settled. Used by `npm start`
 * and the platform e2e test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../shared/adapters/postgres/transaction.ts';
import { newBatchId } from '../../shared/runs/ids.ts';
import { databaseNow, isQuiet, readSessionProgress, type SessionProgress } from '../../shared/runs/session-progress.ts';

/** What to run and where. */
export interface TestBatchOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`. */
  readonly gatewayUrl: string;
  /** The namespace the platform's functions are deployed in (the scheduler is called there); default the gateway's. */
  readonly namespace?: string;
  readonly db: Db;
  readonly systemId: string;
  /**
   * Queues the connector's call with this landing payload, its answer to go to `callbackUrl` (`X-Callback-Url`):
   * `faas-cli invoke --async connector-jsonfile`. Throws when the gateway refuses it.
   */
  readonly invokeConnector: (payload: Readonly<Record<string, unknown>>, callbackUrl: string) => Promise<void>;
  /** Connector-specific options of the landing payload (`{"batch": "batch-0003"}`). */
  readonly connectorOptions?: Readonly<Record<string, unknown>>;
  /** True when the gateway's async queue is empty and nothing runs (NATS Streaming's view: `isQueueIdle`). */
  readonly isQueueIdle: () => Promise<boolean>;
  /** Give up after this long. Default 5 minutes. */
  readonly timeoutMs?: number;
  /** Pause between checks (and scheduler ticks). Default 1 s. */
  readonly tickIntervalMs?: number;
  /**
   * Call the scheduler at every check (default). False leaves the chain to the functions alone (each hands over
   * the calls it announced), which tests use to show that the chain does not wait for the scheduler.
   */
  readonly driveScheduler?: boolean;
  /** Called after every tick (progress lines). */
  readonly onTick?: (progress: SessionProgress, elapsedMs: number) => void;
}

/** A system the scheduler started on its own during the run (its schedule was due). */
export interface ScheduledStart {
  readonly system_id: string;
  readonly batch_id: string;
}

/** How the run went. */
export interface TestBatchResult {
  readonly batch_id: string;
  /** `invoke`: this run called the connector; `schedule`: the system was due and the scheduler started it. */
  readonly started_by: 'invoke' | 'schedule';
  /** The connector's answer, from the queue-worker's callback (absent when the scheduler started the batch). */
  readonly connector_answer: { readonly status: number; readonly body: unknown } | undefined;
  /** Everything the scheduler started during the run, this batch included when it was due. */
  readonly scheduled: ScheduledStart[];
  /** Scheduler ticks this run made. */
  readonly ticks: number;
  /** Scheduler ticks that answered with an error status. */
  readonly failed_ticks: number;
  readonly progress: SessionProgress;
  /** False when the run gave up (timeout) before the work settled. */
  readonly settled: boolean;
  readonly elapsed_ms: number;
}

/** Quiet checks in a row after which an open layer counts as stuck rather than busy. */
const QUIET_ROUNDS_WITH_OPEN_LAYERS = 3;

/**
 * Starts a batch of `systemId` and waits until the session's work has settled: the landing has its outcome, no
 * run is `running`, every announced call was handed to the gateway, the gateway's queue is empty, and every
 * opened layer has finished (or nothing moved for a few ticks while one stays open: a lost call, reported by
 * the caller). A first scheduler tick runs before the start: when it starts the system itself (its schedule
 * was due), that batch is the one watched, so the same source batch is never landed twice.
 */
export async function runTestBatch(options: TestBatchOptions): Promise<TestBatchResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 300_000;
  const interval = options.tickIntervalMs ?? 1000;
  const since = await databaseNow(options.db);
  const scheduled: ScheduledStart[] = [];
  let failedTicks = 0;
  let ticks = 0;
  const tick = async (): Promise<void> => {
    if (options.driveScheduler === false) return;
    const answer = await tickScheduler(options.gatewayUrl, options.namespace).catch(() => ({ status: 0, started: [] }));
    ticks += 1;
    if (answer.status >= 400) failedTicks += 1;
    for (const start of answer.started) if (!scheduled.some((seen) => seen.batch_id === start.batch_id)) scheduled.push(start);
  };

  await tick();
  const due = scheduled.find((start) => start.system_id === options.systemId);
  const receiver = await CallbackReceiver.start();
  try {
    let batch_id: string;
    if (due) {
      batch_id = due.batch_id;
    } else {
      batch_id = newBatchId();
      const payload = {
        system_id: options.systemId,
        batch_id,
        batch_timestamp: new Date().toISOString(),
        ...(options.connectorOptions ? { options: options.connectorOptions } : {}),
      };
      await options.invokeConnector(payload, receiver.url);
    }
    let quietRounds = 0;
    let progress: SessionProgress = { batches: 0, running: 0, undelivered: 0, unstarted: 0, open_layers: 0, landings: [] };
    for (;;) {
      // A database that is down for a while (a fault test stops it) is waited out, not fatal: the run goes on.
      const read = await readSessionProgress(options.db, since).catch(() => undefined);
      if (read !== undefined) progress = read;
      const elapsed = Date.now() - started;
      options.onTick?.(progress, elapsed);
      const landing = progress.landings.find((each) => each.batch_id === batch_id);
      const refused = receiver.answer !== undefined && receiver.answer.status >= 400 && landing === undefined;
      const landed = landing !== undefined && landing.status !== 'running';
      const quiet = read !== undefined && isQuiet(progress) && (await options.isQueueIdle()) && (landed || refused);
      quietRounds = quiet ? quietRounds + 1 : 0;
      const settled = quiet && (progress.open_layers === 0 ? quietRounds >= 2 : quietRounds >= QUIET_ROUNDS_WITH_OPEN_LAYERS);
      if (settled || elapsed >= timeoutMs) {
        return {
          batch_id,
          started_by: due ? 'schedule' : 'invoke',
          connector_answer: receiver.answer,
          scheduled,
          ticks,
          failed_ticks: failedTicks,
          progress,
          settled,
          elapsed_ms: elapsed,
        };
      }
      await sleep(interval);
      await tick();
    }
  } finally {
    await receiver.stop();
  }
}

/** One scheduler tick through the gateway's sync route, as cron-connector makes it (no body). */
async function tickScheduler(gatewayUrl: string, namespace: string | undefined): Promise<{ status: number; started: ScheduledStart[] }> {
  const answer = await fetch(`${gatewayUrl}/function/scheduler${namespace ? `.${namespace}` : ''}`, {
    method: 'POST',
    headers: { 'x-topic': 'cron-function', 'x-connector': 'dataplatform-start' },
  });
  const text = await answer.text();
  let started: ScheduledStart[] = [];
  try {
    const body = JSON.parse(text) as { started?: Array<{ system_id?: unknown; batch_id?: unknown }> };
    started = (body.started ?? []).flatMap((start) =>
      typeof start.system_id === 'string' && typeof start.batch_id === 'string' ? [{ system_id: start.system_id, batch_id: start.batch_id }] : [],
    );
  } catch {
    // Not JSON (the gateway's own error text): no starts to report; the status says the tick failed.
  }
  return { status: answer.status, started };
}

/** Receives the queue-worker's `X-Callback-Url` POST: the connector's status and answer. */
class CallbackReceiver {
  private constructor(
    private readonly server: http.Server,
    private readonly received: { answer?: { status: number; body: unknown } },
    readonly url: string,
  ) {}

  /** The connector's answer, once the callback came. */
  get answer(): { status: number; body: unknown } | undefined {
    return this.received.answer;
  }

  static async start(): Promise<CallbackReceiver> {
    const received: { answer?: { status: number; body: unknown } } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // The gateway's plain-text error: kept as text.
        }
        received.answer = { status: Number(req.headers['x-function-status'] ?? 0), body };
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new CallbackReceiver(server, received, `http://127.0.0.1:${(server.address() as AddressInfo).port}/connector-done`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
