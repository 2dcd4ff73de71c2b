/**
 * `npm run bench -- --e2e`: the path a user sees, on the real local OpenFaaS stack. The platform's functions are
 * deployed into a namespace of their own (as the e2e tests deploy them: its own database, metadata and landing
 * databases, so nothing `npm start` deployed is touched), TST01's batches are generated at `--e2e-scale`, and each
 * batch is started with `faas-cli invoke --async connector-jsonfile` and followed until its chain settles; the
 * figures come from the batch's audit rows (`end-to-end-figures.ts`). The scheduler is not ticked: the chain moves by
 * itself, as it does between two cron minutes.
 */
import { ALL_SUCCEEDED, startPlatform, TEST_SYSTEM, type PlatformEnv } from '../../tests/e2e/platform/platform-env.ts';
import { countsPerBatch } from '../../shared/runs/audit-queries.ts';
import { readBatchLineage } from '../../shared/runs/batch-lineage.ts';
import { readBatchPositions } from '../../shared/runs/cursors.ts';
import { readBatchOutbox } from '../../shared/runs/outbox.ts';
import { databaseNow } from '../../shared/runs/session-progress.ts';
import { GATEWAY_URL, isQueueIdle } from '../openfaas/local-stack.ts';
import { runTestBatch } from '../start/run-test-batch.ts';
import { batchFigure, summariseEndToEnd, type BatchFigure, type EndToEndFigure } from './end-to-end-figures.ts';

/** What to measure. */
export interface EndToEndOptions {
  /** The generator's `--scale` for TST01 (batch 1: 12 customers, 6 products and 20 readings times this). */
  readonly scale: number;
  /** Batches measured after the first one (the median is reported). */
  readonly batches: number;
  readonly log: (message: string) => void;
}

/** Each batch may take this long through the stack before the run fails (a loaded machine is slow). */
const BATCH_TIMEOUT_MS = 600_000;

/**
 * Deploys the platform into a namespace of its own, runs `1 + batches` TST01 batches through it one after the
 * other, and removes it all again (also on Ctrl-C). The first batch is the initial load on functions not called
 * before; the median is over the others, each TST01's next batch. Fails when a batch did not succeed in every layer.
 */
export async function measureEndToEnd(options: EndToEndOptions): Promise<EndToEndFigure> {
  const { log } = options;
  log(`end to end: deploying the platform into a namespace of its own, TST01 at scale ${options.scale} (${1 + options.batches} batches)…`);
  const platform = await startPlatform({ batches: 1 + options.batches, scale: options.scale, namespacePrefix: 'bench-e2e' });
  log(`end to end: deployed into namespace ${platform.ns.name}`);
  const stop = (signal: NodeJS.Signals): void => {
    log(`${signal}: removing namespace ${platform.ns.name} and its databases`);
    void platform.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const figures: BatchFigure[] = [];
    for (let batch = 0; batch <= options.batches; batch += 1) {
      const figure = await measureBatch(platform);
      log(`end to end: ${figure.batch}, ${figure.rows} records: last gold row ${figure.seconds} s after the invoke`);
      figures.push(figure);
    }
    const [first, ...measured] = figures;
    if (first === undefined) throw new Error('end to end: no batch ran');
    return summariseEndToEnd({ system: TEST_SYSTEM, scale: options.scale, first, measured });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await platform.stop();
  }
}

/** Invokes the connector for TST01's next batch, waits until the batch settles, and reads its figures. */
async function measureBatch(platform: PlatformEnv): Promise<BatchFigure> {
  const db = platform.db.pool;
  let invokedAt: Date | undefined;
  const result = await runTestBatch({
    gatewayUrl: GATEWAY_URL,
    namespace: platform.ns.name,
    db,
    systemId: TEST_SYSTEM,
    invokeConnector: async (payload, callbackUrl) => {
      // The database's clock, which the audit rows are written with.
      invokedAt = await databaseNow(db);
      await platform.invokeConnector(payload, callbackUrl);
    },
    isQueueIdle,
    driveScheduler: false,
    timeoutMs: BATCH_TIMEOUT_MS,
  });
  if (invokedAt === undefined) throw new Error('end to end: the connector was not invoked (the scheduler started TST01, which has no schedule here)');
  const statuses = await platform.layerStatuses(result.batch_id);
  if (!result.settled || Object.entries(ALL_SUCCEEDED).some(([layer, status]) => statuses[layer] !== status)) {
    throw new Error(`end to end: batch ${result.batch_id} did not succeed in every layer${result.settled ? '' : ' in time'}: ${JSON.stringify(statuses)}`);
  }
  const [lineage, calls, counts, positions] = await Promise.all([
    readBatchLineage(db, result.batch_id),
    readBatchOutbox(db, result.batch_id),
    countsPerBatch(db, { batchId: result.batch_id }),
    readBatchPositions(db, TEST_SYSTEM),
  ]);
  const batch = positions.find((position) => position.batch_id === result.batch_id)?.position ?? result.batch_id;
  return batchFigure({ batch, batch_id: result.batch_id, invoked_at: invokedAt, landings: lineage.landings, entity_runs: lineage.entity_runs, calls, counts });
}
