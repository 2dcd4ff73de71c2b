import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LandedRecord, LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import { UpstreamUnavailableError } from '../../../shared/errors.ts';
import { createBronzeTestEnv, type BronzeTestEnv, type Landed } from './bronze-test-env.ts';
import { product } from './tst01-records.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./bronze-child.ts', import.meta.url));
const RECORDS = 3000;
/** Past the first COPY chunks (64 KiB, about 400 product rows each), well before the end. */
const PAUSE_AFTER = 2000;

describe('an interrupted bronze load', () => {
  let env: BronzeTestEnv;
  beforeAll(async () => {
    env = await createBronzeTestEnv('bronze_crash');
  });
  afterAll(async () => {
    await env.close();
  });

  const landProducts = (): Promise<Landed> => env.land('TST01', { products: Array.from({ length: RECORDS }, (_, i) => product(`p-${i}`)) });

  const batchRows = async (landed: Landed): Promise<{ rows: number; positions: number }> => {
    const exists = await env.db.pool.query<{ exists: boolean }>(`select to_regclass('bronze.test_product') is not null as exists`);
    if (!exists.rows[0]?.exists) return { rows: 0, positions: 0 };
    const result = await env.db.pool.query<{ rows: number; positions: number }>(
      `select count(*)::int as rows, count(distinct "_dp_position")::int as positions from bronze.test_product where "_dp_batch_id" = $1`,
      [landed.batch_id],
    );
    return result.rows[0] ?? { rows: 0, positions: 0 };
  };

  /** The backend of this file's database that is in the middle of a COPY with rows already received, if any. */
  const copyingBackend = async (applicationName?: string): Promise<number | undefined> => {
    const result = await env.db.pool.query<{ pid: number }>(
      `select progress.pid
         from pg_stat_progress_copy as progress
         join pg_stat_activity as activity on activity.pid = progress.pid
        where activity.datname = $1
          and ($2::text is null or activity.application_name = $2)
          and progress.tuples_processed > 0`,
      [env.db.name, applicationName ?? null],
    );
    return result.rows[0]?.pid;
  };

  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  };

  const runsOf = async (landed: Landed) =>
    (
      await env.db.pool.query(
        `select status, error, attempt, took_over_run_id is not null as took_over, records_inserted
           from audit.entity_layer_run where batch_id = $1 and layer = 'bronze' order by started_at`,
        [landed.batch_id],
      )
    ).rows;

  it('leaves no rows when its process is killed mid-COPY, and the rerun takes over and loads the batch once', async () => {
    const landed = await landProducts();
    const applicationName = `bronze-child-${landed.batch_id.slice(-8)}`;
    const settings = {
      database_url: env.db.url, landing_database: env.landingDatabase, batch_id: landed.batch_id, system_id: 'TST01',
      entity_id: 'test_product', timeout_seconds: 2, call_id: 'call-killed', application_name: applicationName, pause_after: PAUSE_AFTER,
    };
    // node itself (not npx), so SIGKILL hits the process that holds the connection
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(settings)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await waitFor('the child to pause mid-COPY', async () => (stdout.includes('PAUSED') ? true : undefined));
      await waitFor('rows at the server', () => copyingBackend(applicationName));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(stderr).not.toMatch(/"level":"error"/);
    // the server ends the dead connection's transaction: nothing of the batch is there
    await waitFor('the killed backend to go', async () => {
      const left = await env.db.pool.query(`select 1 from pg_stat_activity where application_name = $1`, [applicationName]);
      return left.rowCount === 0 ? true : undefined;
    });
    expect(await batchRows(landed)).toEqual({ rows: 0, positions: 0 });
    expect(await runsOf(landed)).toMatchObject([{ status: 'running', attempt: 1 }]);

    // a call while the killed run is not yet stale is skipped; once it is, the rerun takes it over
    expect(await env.process(landed, 'test_product', { timeoutSeconds: 600 })).toMatchObject({ status: 'skipped', reason: 'already_running' });
    await sleep(2_100);
    expect(await env.process(landed, 'test_product', { timeoutSeconds: 2 })).toMatchObject({ status: 'succeeded', counts: { records_inserted: RECORDS } });
    expect(await batchRows(landed)).toEqual({ rows: RECORDS, positions: RECORDS });
    const runs = await runsOf(landed);
    expect(runs).toMatchObject([
      { status: 'failed', attempt: 1, records_inserted: 0 },
      { status: 'skipped', attempt: 1 },
      { status: 'succeeded', attempt: 2, took_over: true, records_inserted: RECORDS },
    ]);
    expect(runs[0]?.error).toMatch(/^stale, taken over by run /);
  }, 120_000);

  it('records the failure when its connection is terminated mid-COPY, and the rerun loads the batch once', async () => {
    const landed = await landProducts();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const pausing: Pick<LandingStore, 'readRun'> = {
      async *readRun(ref): AsyncGenerator<LandedRecord> {
        let read = 0;
        for await (const record of env.store.readRun(ref)) {
          if (read === PAUSE_AFTER) await released;
          read += 1;
          yield record;
        }
      },
    };
    const pending = env.process(landed, 'test_product', { landing: pausing });
    const pid = await waitFor('rows at the server', () => copyingBackend());
    await env.db.pool.query('select pg_terminate_backend($1)', [pid]);
    release();
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.status === 'failed' && outcome.error).toBeInstanceOf(UpstreamUnavailableError);
    expect(await batchRows(landed)).toEqual({ rows: 0, positions: 0 });
    const [failed] = await runsOf(landed);
    expect(failed).toMatchObject({ status: 'failed', attempt: 1 });
    expect(failed?.error).toMatch(/terminat/i);

    expect(await env.process(landed, 'test_product')).toMatchObject({ status: 'succeeded', counts: { records_inserted: RECORDS, records_deleted: 0 } });
    expect(await batchRows(landed)).toEqual({ rows: RECORDS, positions: RECORDS });
    expect((await runsOf(landed)).map((run) => [run.status, run.attempt])).toEqual([['failed', 1], ['succeeded', 2]]);
  }, 120_000);
});
