/**
 * The commands that start work and follow it to the end of its chain: `run`, `backfill`, `rerun`, `force`,
 * `rebuild`, and `follow` (which only follows). Each plans its calls from metadata and the audit rows, announces
 * them through the outbox (so a call the gateway refuses now is delivered by the scheduler later, and a lost one is
 * sent again), hands them to the gateway at once, then follows the batch and prints how each layer went.
 */
import pino from 'pino';
import { withTransaction, type Db } from '../adapters/postgres/transaction.ts';
import { LAYERS, type Layer } from '../core/run-status.ts';
import { announceCalls, type ChainedCall } from '../layers/chaining/announce-calls.ts';
import { deliverOutbox } from '../layers/chaining/deliver-outbox.ts';
import { callForWork, type WorkUnit } from '../layers/chaining/work-call.ts';
import { latestSourceBatch, listSucceededBronzeBatches } from '../runs/entity-run-history.ts';
import { findBatchIds, findBatchOrigin, type BatchOrigin } from '../runs/landing-history.ts';
import { createLogger } from '../log.ts';
import type { LoadedMetadata } from '../metadata/metadata-loader.ts';
import { countsPerBatch, failedWork } from '../runs/audit-queries.ts';
import { readBatchLineage } from '../runs/batch-lineage.ts';
import { newBatchId } from '../runs/ids.ts';
import { databaseNow, readBatchWork, readCallOutcomes, type CallOutcome } from '../runs/session-progress.ts';
import { connectorFunction } from '../runtime/payloads.ts';
import { batchIdPattern } from './batch-ref.ts';
import { failedWorkLines, firstLine, layerTable } from './batch-report.ts';
import { EXIT, readCommandLine, UsageError, type CliIo } from './cli-io.ts';
import { followBatch } from './follow-batch.ts';
import { openPlatform, type PlatformAccess } from './platform-access.ts';
import { barsView, linesView } from './progress-view.ts';
import { unitsToForce, unitsToRerun, type WorkSelection } from './work-plan.ts';

export const WORK_COMMANDS = ['run', 'backfill', 'rerun', 'force', 'rebuild', 'follow'] as const;
export type WorkCommand = (typeof WORK_COMMANDS)[number];

/** How long a command follows its batch by default: longer than any function's timeout, with the retries' waits. */
const DEFAULT_TIMEOUT_SECONDS = 1800;

/** What a command starts: the calls, in one batch, and how to say it. */
interface WorkPlan {
  readonly batch: BatchOrigin;
  readonly calls: readonly ChainedCall[];
  readonly what: string;
}

/** Runs one work command; the exit status says whether the chain it followed succeeded. */
export async function runWorkCommand(command: WorkCommand, argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseWorkArgs(argv);
  const platform = openPlatform(io.env, { namespace: args.namespace });
  try {
    const db = await platform.db();
    const plan = await planWork(command, args, db, platform);
    if (plan === undefined) return EXIT.ok;
    if (typeof plan === 'string') {
      io.out(plan);
      return EXIT.ok;
    }
    const { batch } = plan;
    let outboxIds: string[] = [];
    if (plan.calls.length > 0) {
      const gateway = platform.gateway(); // fails before anything is written when no call token is set
      const origin = { batch_id: batch.batch_id, batch_timestamp: batch.batch_timestamp, call_id: undefined };
      const messages = await withTransaction(db, (tx) => announceCalls(tx, origin, plan.calls));
      outboxIds = messages.map((message) => message.id);
      await deliverOutbox(db, gateway, { log: quietLog(io), maxMessages: Math.max(50, outboxIds.length) });
      io.out(`${plan.what}: ${plan.calls.length} call(s) to ${[...new Set(plan.calls.map((call) => call.function))].join(', ')} (batch ${batch.batch_id}, ${batch.system_id})`);
      for (const outcome of await readCallOutcomes(db, outboxIds)) {
        if (outcome.delivered_at === null) {
          io.err(`  ${outcome.target_function}: not handed to the gateway yet (${firstLine(outcome.last_error)}); the scheduler delivers it within a minute`);
        }
      }
    } else {
      io.out(`following batch ${batch.batch_id} (${batch.system_id})`);
    }
    if (args.detach) {
      io.out(`follow it: npx dataplatform follow ${batch.batch_id}`);
      return EXIT.ok;
    }
    return await followAndReport(db, batch, outboxIds, args.timeoutSeconds, io);
  } finally {
    await platform.close();
  }
}

/** The options all work commands share, and the positional argument. */
interface WorkArgs {
  readonly target: string | undefined;
  readonly layer: Layer | undefined;
  readonly entity: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly namespace: string | undefined;
  readonly timeoutSeconds: number;
  readonly detach: boolean;
}

function parseWorkArgs(argv: readonly string[]): WorkArgs {
  const parsed = readCommandLine(
    argv,
    {
      layer: { type: 'string' },
      entity: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      namespace: { type: 'string' },
      timeout: { type: 'string' },
      detach: { type: 'boolean', default: false },
    },
    1,
  );
  const [target] = parsed.positionals;
  const { layer, timeout } = parsed.values;
  if (layer !== undefined && !(LAYERS as readonly string[]).includes(layer)) {
    throw new UsageError(`--layer must be one of ${LAYERS.join(', ')}, not "${layer}"`);
  }
  const timeoutSeconds = timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout takes whole seconds, not "${timeout}"`);
  return {
    target,
    layer: layer as Layer | undefined,
    entity: parsed.values.entity,
    from: parsed.values.from,
    to: parsed.values.to,
    namespace: parsed.values.namespace,
    timeoutSeconds,
    detach: parsed.values.detach,
  };
}

/** The calls a command makes, a message when there is nothing to do, or undefined when it only follows. */
async function planWork(command: WorkCommand, args: WorkArgs, db: Db, platform: PlatformAccess): Promise<WorkPlan | string | undefined> {
  const target = args.target;
  if (target === undefined) throw new UsageError(`${command} needs ${command === 'run' || command === 'backfill' ? 'a SYSTEM' : command === 'rebuild' ? 'an ENTITY' : 'a BATCH'}`);
  checkOptions(command, args);
  switch (command) {
    case 'run':
    case 'backfill':
      return planLanding(command, target, args, await platform.metadata());
    case 'rebuild':
      return planRebuild(target, db, await platform.metadata());
    case 'follow':
      return { batch: await resolveBatch(db, target), calls: [], what: 'follow' };
    case 'rerun':
    case 'force': {
      const batch = await resolveBatch(db, target);
      const lineage = await readBatchLineage(db, batch.batch_id);
      const selection: WorkSelection = { layer: args.layer, entity: args.entity };
      const units = command === 'rerun' ? unitsToRerun(lineage, selection, await databaseNow(db)) : unitsToForce(lineage, selection);
      if (units.length === 0) {
        return `nothing to rerun in batch ${batch.batch_id}: no failed work${args.layer ? ` in layer ${args.layer}` : ''}` +
          ` (redo work that succeeded: npx dataplatform force ${batch.batch_id} --layer LAYER)`;
      }
      const metadata = await platform.metadata();
      return { batch, calls: units.map((unit) => callFor(unit, metadata, command === 'force')), what: `${command} ${describeUnits(units)}` };
    }
  }
}

/** Which options each command takes: anything else is a usage error, not silently ignored. */
function checkOptions(command: WorkCommand, args: WorkArgs): void {
  const allowed: Record<WorkCommand, readonly string[]> = {
    run: [],
    backfill: ['from', 'to'],
    rerun: ['layer', 'entity'],
    force: ['layer', 'entity'],
    rebuild: [],
    follow: [],
  };
  for (const option of ['layer', 'entity', 'from', 'to'] as const) {
    if (args[option] !== undefined && !allowed[command].includes(option)) throw new UsageError(`${command} takes no --${option}`);
  }
  if (command === 'backfill' && args.from === undefined) throw new UsageError('backfill needs --from DATE');
  if (command === 'force' && args.layer === undefined) throw new UsageError('force needs --layer (landing, bronze, silver or gold)');
}

/** A new batch of a system: its next delta (`run`), or the span `--from`…`--to` (`backfill`). */
function planLanding(command: 'run' | 'backfill', systemId: string, args: WorkArgs, metadata: LoadedMetadata): WorkPlan {
  const system = metadata.systems.find((each) => each.id === systemId);
  if (!system) throw new UsageError(`no system "${systemId}" in the deployed metadata (systems: ${metadata.systems.map((each) => each.id).join(', ')})`);
  if (!system.enabled) throw new UsageError(`system ${systemId} is disabled in metadata; enable it and deploy first`);
  const batch = { batch_id: newBatchId(), batch_timestamp: new Date(), system_id: system.id };
  const window = command === 'backfill' ? { window: { start: instant(args.from, '--from'), ...(args.to === undefined ? {} : { end: instant(args.to, '--to') }) } } : {};
  return {
    batch,
    calls: [{ function: connectorFunction(system.type), payload: { system_id: system.id, batch_id: batch.batch_id, batch_timestamp: batch.batch_timestamp.toISOString(), ...window } }],
    what: command === 'run' ? `run ${system.id}` : `backfill ${system.id} from ${args.from ?? ''}${args.to === undefined ? '' : ` to ${args.to}`}`,
  };
}

/**
 * A silver entity: its whole silver history replayed from bronze, under its newest bronze batch. A gold entity:
 * recomputed under the newest batch of its sources.
 */
async function planRebuild(entityId: string, db: Db, metadata: LoadedMetadata): Promise<WorkPlan> {
  const entity = metadata.entities.find((each) => each.id === entityId);
  if (!entity) throw new UsageError(`no entity "${entityId}" in the deployed metadata`);
  if (entity.kind === 'gold') {
    const batchId = await latestSourceBatch(db, entity.sources);
    const batch = batchId === undefined ? undefined : await findBatchOrigin(db, batchId);
    if (!batch) throw new UsageError(`gold entity ${entityId}: silver has no batch of its sources (${entity.sources.join(', ')}) yet`);
    return { batch, calls: [{ function: 'gold', payload: { gold_entity_id: entity.id, batch_id: batch.batch_id, force: true } }], what: `rebuild gold ${entity.id}` };
  }
  const newest = (await listSucceededBronzeBatches(db, entity.id)).at(-1);
  const batch = newest === undefined ? undefined : await findBatchOrigin(db, newest.batch_id);
  if (!batch) throw new UsageError(`entity ${entityId} has no batch in bronze yet: nothing to rebuild silver from`);
  return {
    batch,
    calls: [{ function: 'silver', payload: { batch_id: batch.batch_id, system_id: batch.system_id, entity_id: entity.id, rebuild: true } }],
    what: `rebuild silver ${entity.id}`,
  };
}

function callFor(unit: WorkUnit, metadata: LoadedMetadata, force: boolean): ChainedCall {
  const call = callForWork(unit, metadata, { force });
  if ('skip' in call) throw new UsageError(`cannot run ${describeUnits([unit])} again: ${call.skip}`);
  return call;
}

function describeUnits(units: readonly WorkUnit[]): string {
  return units.map((unit) => (unit.level === 'system' ? `landing ${unit.system_id}` : `${unit.layer ?? '?'} ${unit.entity_id ?? '?'}`)).join(', ');
}

/** A batch by its id or a unique start of it (the dashboard and `status` show both). */
async function resolveBatch(db: Db, text: string): Promise<BatchOrigin> {
  const found = await findBatchIds(db, batchIdPattern(text));
  if (found.length > 1) throw new UsageError(`"${text}" starts more than one batch id: give more of it`);
  const batch = found[0] === undefined ? undefined : await findBatchOrigin(db, found[0]);
  if (!batch) throw new UsageError(`no batch "${text}" in the audit schema`);
  return batch;
}

/** An instant from `2025-01-31` (midnight UTC) or a full ISO 8601 time. */
function instant(text: string | undefined, option: string): string {
  const value = text ?? '';
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${option} takes a date (2025-01-31) or an ISO 8601 time, not "${value}"`);
  return date.toISOString();
}

/** Follows the batch, then prints how each layer went, what failed with its rerun command, and what the calls did. */
async function followAndReport(db: Db, batch: BatchOrigin, outboxIds: readonly string[], timeoutSeconds: number, io: CliIo): Promise<number> {
  const started = Date.now();
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  process.once('SIGINT', onInterrupt);
  let end;
  try {
    end = await followBatch({
      db,
      batchId: batch.batch_id,
      view: io.terminal ? barsView(io.terminal) : linesView(io.out),
      signal: stop.signal,
      timeoutMs: timeoutSeconds * 1000,
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  const followAgain = `npx dataplatform follow ${batch.batch_id}`;
  if (end === 'stopped') {
    io.err(`stopped following; the work goes on. Follow it again: ${followAgain}`);
    return EXIT.interrupted;
  }
  const [counts, failed, work, outcomes] = await Promise.all([
    countsPerBatch(db, { batchId: batch.batch_id }),
    failedWork(db, { batchId: batch.batch_id }),
    readBatchWork(db, batch.batch_id),
    readCallOutcomes(db, outboxIds),
  ]);
  const problems = [
    ...(end === 'timed_out' ? [`still moving after ${timeoutSeconds} s; follow it again: ${followAgain}`] : []),
    ...(failed.length > 0 ? [`${failed.length} piece(s) of work failed (the scheduler retries each up to 3 attempts; rerun now with the commands above)`] : []),
    ...(end === 'settled' && work.open_layers > 0 ? [`${work.open_layers} layer(s) wait for entities whose calls never ran: npx dataplatform rerun ${batch.batch_id} --layer LAYER --entity ENTITY`] : []),
  ];
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const nothingLanded = counts.length > 0 && counts.every((row) => row.layer === null && row.landing_status === 'skipped');
  const verdict = problems.length > 0 ? 'FAILED' : nothingLanded ? 'nothing new to land' : 'succeeded';
  io.out(`${batch.system_id} batch ${batch.batch_id}: ${verdict} (followed ${seconds} s)`);
  for (const line of layerTable(counts)) io.out(line);
  if (failed.length > 0) {
    io.out('  failed work:');
    for (const line of failedWorkLines(failed, '    ')) io.out(line);
  }
  for (const line of callLines(outcomes)) io.out(line);
  for (const problem of problems) io.err(`  ! ${problem}`);
  return problems.length === 0 ? EXIT.ok : EXIT.failed;
}

/** What the command's own calls did, where that is not plain success: skipped as done, refused, or not started. */
function callLines(outcomes: readonly CallOutcome[]): string[] {
  return outcomes.flatMap((outcome) => {
    if (outcome.run_status === 'skipped') {
      const hint = outcome.skip_reason === 'already_succeeded' ? ' (force redoes work that succeeded)' : '';
      return [`  ${outcome.target_function}: skipped, ${outcome.skip_reason ?? 'no reason'}${hint}`];
    }
    if (outcome.run_status === null) {
      return [`  ${outcome.target_function}: ${outcome.delivered_at === null ? `not delivered (${firstLine(outcome.last_error)})` : 'delivered, not started yet'}`];
    }
    return [];
  });
}

/** Only warnings of the delivery reach the person, on stderr. */
function quietLog(io: CliIo) {
  const log = createLogger({ component: 'cli' }, pino.destination(2));
  log.level = io.env.LOG_LEVEL ?? 'warn';
  return log;
}

