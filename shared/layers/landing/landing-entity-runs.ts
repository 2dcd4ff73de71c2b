import type { Pool } from '../../adapters/postgres/pool.ts';
import type { Transaction } from '../../adapters/postgres/transaction.ts';
import { PlatformError } from '../../errors.ts';
import { finishEntityRun, startEntityRun, type EntityRunFinish } from '../../runs/entity-runs.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';

/** A landing entity is still being written by another call of the same batch (a run not yet stale). */
export class LandingEntityBusyError extends PlatformError {
  readonly status = 409;
  readonly code = 'landing_entity_busy';

  constructor(
    readonly landingEntity: string,
    readonly otherRunId: string,
  ) {
    super(`landing entity ${landingEntity} of this batch is still being landed by run ${otherRunId}`);
  }
}

/** What every landing entity run of one landing attempt shares. */
export interface LandingEntityRunsContext {
  readonly batch_id: string;
  readonly system_id: string;
  readonly call_id: string | null;
  readonly parent_call_id: string | null;
  readonly timeout_seconds: number;
}

/**
 * The audit rows of one landing attempt per landing entity (`entity_layer_run`, layer `landing`, entity id = the
 * landing entity): they hold the record counts. Whether to land at all was decided for the whole system by the
 * system run, so these always proceed (`force`): landing is all or nothing per system.
 */
export class LandingEntityRuns {
  private readonly runs = new Map<string, EntityLayerRun>();

  constructor(
    private readonly pool: Pool,
    private readonly context: LandingEntityRunsContext,
  ) {}

  /** Opens the batch's landing layer run, expecting `landing_entities`, and starts a run for each. */
  async open(landing_entities: readonly string[]): Promise<void> {
    await openSystemLayerRun(this.pool, {
      batch_id: this.context.batch_id,
      system_id: this.context.system_id,
      layer: 'landing',
      entities_expected: landing_entities.length,
      call_id: this.context.call_id,
    });
    for (const landing_entity of landing_entities) await this.ensure(landing_entity);
  }

  /** Starts the run of a landing entity the first time it is seen (a source may send more than metadata reads). */
  async ensure(landing_entity: string): Promise<void> {
    if (this.runs.has(landing_entity)) return;
    const start = await startEntityRun(this.pool, {
      batch_id: this.context.batch_id,
      system_id: this.context.system_id,
      layer: 'landing',
      entity_id: landing_entity,
      call_id: this.context.call_id,
      parent_call_id: this.context.parent_call_id,
      force: true,
      timeout_seconds: this.context.timeout_seconds,
    });
    if (!start.proceed) throw new LandingEntityBusyError(landing_entity, start.duplicateOfRunId);
    this.runs.set(landing_entity, start.run);
  }

  /** The record count of every started landing entity (0 for one the source sent nothing for). */
  countsOf(appended: Readonly<Record<string, number>>): Record<string, number> {
    return Object.fromEntries([...this.runs.keys()].sort().map((landing_entity) => [landing_entity, appended[landing_entity] ?? 0]));
  }

  /** Finishes every started run with its count, in the caller's transaction; the finishes are for the events. */
  async finish(
    tx: Transaction,
    outcome: { readonly status: 'succeeded' | 'failed'; readonly counts: Readonly<Record<string, number>>; readonly error?: string },
  ): Promise<EntityRunFinish[]> {
    const finishes: EntityRunFinish[] = [];
    for (const [landing_entity, run] of this.runs) {
      const records = outcome.counts[landing_entity] ?? 0;
      finishes.push(
        await finishEntityRun(tx, run.run_id, {
          status: outcome.status,
          error: outcome.error ?? null,
          counts: { records_in: records, records_inserted: outcome.status === 'succeeded' ? records : 0 },
        }),
      );
    }
    return finishes;
  }
}
