/**
 * The operator's CLI as a person runs it, a child process against the real stack (its own namespace and databases):
 * land a batch and follow it to gold; stop following with Ctrl-C while the work goes on, and pick it up again; see a
 * failed batch in `status`, `logs --batch` and the run's own report; fix the metadata, `rerun` the batch and watch it
 * finish; redo succeeded work with `force` and `rebuild`. Output and exit codes are what is asserted.
 */
import { spawn } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../stack-harness.ts';
import { ALL_SUCCEEDED, ROOT, startPlatform, type PlatformEnv } from './platform-env.ts';

let platform: PlatformEnv;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  platform = await startPlatform({ batches: 3 });
  env = {
    ...process.env,
    // The namespace's own faas-cli login, as a person's would be: not whatever ~/.openfaas holds on this machine.
    ...platform.ns.cliEnv,
    DATABASE_URL: platform.db.url,
    METADATA_DB: platform.metadataDb,
    FUNCTION_NAMESPACE: platform.ns.name,
    CALL_TOKEN: platform.token,
    LOG_LEVEL: 'warn',
  };
}, 240_000);

afterAll(async () => {
  await platform?.stop();
}, 60_000);

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `npx dataplatform ARGS` as a child process (stdout a pipe, so progress comes as lines). */
function start(args: readonly string[]) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/dataplatform.mjs'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, finished, stdout: () => stdout };
}

const dataplatform = (...args: string[]): Promise<Finished> => start(args).finished;

/** The batch id a work command announced (`… (batch <id>, TST01)`). */
function announcedBatch(stdout: string): string {
  const id = /\(batch ([0-9a-f-]{36}), TST01\)/.exec(stdout)?.[1];
  if (!id) throw new Error(`no batch announced in:\n${stdout}`);
  return id;
}

describe('dataplatform CLI', () => {
  it('runs a system and follows its batch through every layer, then prints the counts', async () => {
    const run = await dataplatform('run', 'TST01');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const batchId = announcedBatch(run.stdout);
    expect(run.stdout).toMatch(/^landing: succeeded/m);
    expect(run.stdout).toMatch(/^gold: succeeded/m);
    expect(run.stdout).toContain(`TST01 batch ${batchId}: succeeded`);
    expect(run.stdout).toMatch(/^ {2}bronze +succeeded +6\/0\/0 of 6/m);
    expect(await platform.layerStatuses(batchId)).toEqual(ALL_SUCCEEDED);
    await platform.expectSilverAsGenerated('batch-0001');

    const status = await dataplatform('status', '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { healthy: boolean; systems: Array<{ system_id: string; latest_landing: { batch_id: string } }> };
    expect(report.healthy).toBe(true);
    expect(report.systems.find((system) => system.system_id === 'TST01')?.latest_landing.batch_id).toBe(batchId);
  }, 180_000);

  it('stops following on Ctrl-C while the work goes on, and follows it again to the end', async () => {
    // Bronze waits for this lock, so the batch is still moving when the person presses Ctrl-C.
    const lock = await platform.holdWriteLock('bronze.test_customer');
    let batchId: string;
    try {
      const run = start(['run', 'TST01']);
      await eventually('the landing to finish', async () => (/^landing: succeeded/m.test(run.stdout()) ? true : undefined), 60_000);
      run.child.kill('SIGINT');
      const stopped = await run.finished;
      expect(stopped.code).toBe(130);
      batchId = announcedBatch(stopped.stdout);
      expect(stopped.stderr).toContain(`stopped following; the work goes on. Follow it again: npx dataplatform follow ${batchId}`);
    } finally {
      await lock.release();
    }
    const follow = await dataplatform('follow', batchId.slice(0, 13));
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain(`TST01 batch ${batchId}: succeeded`);
    expect(await platform.layerStatuses(batchId)).toEqual(ALL_SUCCEEDED);
  }, 180_000);

  it('shows a failed batch in its report, in status and in its logs; after a metadata fix, rerun finishes it', async () => {
    // The source sends a customer twice: bronze's key_unique check rejects the entities landed from customers.
    const customers = path.join(platform.dataDir, 'batch-0003', 'customers.jsonl');
    const first = (await readFile(customers, 'utf8')).split('\n')[0] ?? '';
    await appendFile(customers, `${first}\n`);
    const run = await dataplatform('run', 'TST01');
    expect(run.code).toBe(1);
    const batchId = announcedBatch(run.stdout);
    const rerun = `npx dataplatform rerun ${batchId} --layer bronze --entity test_customer`;
    expect(run.stdout).toContain(`TST01 batch ${batchId}: FAILED`);
    expect(run.stdout).toMatch(/TST01 bronze test_customer \(attempt 1\): .*key_unique/);
    const failedEntities = [...run.stdout.matchAll(/TST01 bronze (\w+) \(attempt 1\)/g)].map((match) => match[1]).sort();
    expect(run.stdout).toContain(`rerun: ${rerun}`);
    expect(run.stderr).toContain('piece(s) of work failed');

    const status = await dataplatform('status');
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/TST01 bronze test_customer, .*key_unique/);
    expect(status.stdout).toContain(rerun);
    const json = JSON.parse((await dataplatform('status', '--json')).stdout) as { healthy: boolean; failed: Array<{ rerun: string }> };
    expect(json.healthy).toBe(false);
    expect(json.failed.map((work) => work.rerun)).toContain(rerun);

    const logs = await dataplatform('logs', '--batch', batchId);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trim().split('\n');
    expect(lines.some((line) => /connector-jsonfile +INFO/.test(line))).toBe(true);
    expect(lines.some((line) => /bronze +ERROR .*test_customer/.test(line) || /bronze +WARN .*test_customer/.test(line))).toBe(true);
    expect(lines.every((line) => line.includes(batchId) || line.includes('call_id='))).toBe(true);

    // The person decides the source does resend customers: the newest of a key wins (metadata), deployed with the CLI.
    const metadataDir = path.join(platform.ns.dir, 'metadata');
    const entities = JSON.parse(await readFile(path.join(metadataDir, 'entities.json'), 'utf8')) as Array<{ id: string; landing_entity?: string; quality?: Record<string, unknown> }>;
    for (const entity of entities.filter((each) => each.landing_entity === 'customers')) entity.quality = { ...entity.quality, duplicate_keys: 'latest' };
    await writeFile(path.join(metadataDir, 'entities.json'), JSON.stringify(entities, null, 2));
    expect((await dataplatform('metadata', 'deploy', '--dir', metadataDir)).code).toBe(0);

    const fixed = await dataplatform('rerun', batchId.slice(0, 13));
    const rerunEntities = [.../^rerun (.*): \d+ call\(s\) to bronze/m.exec(fixed.stdout)?.[1]?.matchAll(/bronze (\w+)/g) ?? []].map((match) => match[1]).sort();
    expect(rerunEntities).toEqual(failedEntities);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(`TST01 batch ${batchId}: succeeded`);
    expect(await platform.layerStatuses(batchId)).toEqual(ALL_SUCCEEDED);
    await platform.expectSilverAsGenerated('batch-0003');
    expect((await dataplatform('status')).code).toBe(0);
  }, 240_000);

  it('redoes succeeded work with force and rebuilds an entity, each followed to the end', async () => {
    const latest = JSON.parse((await dataplatform('status', '--json')).stdout) as { systems: Array<{ latest_landing: { batch_id: string } }> };
    const batchId = latest.systems[0]?.latest_landing.batch_id ?? '';
    const force = await dataplatform('force', batchId, '--layer', 'silver', '--entity', 'test_product');
    expect(force.code).toBe(0);
    expect(force.stdout).toContain('force silver test_product: 1 call(s) to silver');
    expect(force.stdout).toContain(`TST01 batch ${batchId}: succeeded`);
    const forcedRuns = await platform.db.pool.query<{ runs: number }>(
      `select count(*)::int as runs from audit.entity_layer_run where batch_id = $1 and layer = 'silver' and entity_id = 'test_product' and force and status = 'succeeded'`,
      [batchId],
    );
    expect(forcedRuns.rows[0]?.runs).toBe(1);

    const rebuild = await dataplatform('rebuild', 'test_customer');
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toContain('rebuild silver test_customer: 1 call(s) to silver');
    await platform.expectSilverAsGenerated('batch-0003');
  }, 180_000);

  it('refuses what it cannot do with a message that says why, exit status 2', async () => {
    const unknownSystem = await dataplatform('run', 'NOPE01');
    expect(unknownSystem.code).toBe(2);
    expect(unknownSystem.stderr).toContain('no system "NOPE01" in the deployed metadata (systems: TST01)');
    const unknownBatch = await dataplatform('rerun', '0000aaaa');
    expect(unknownBatch.code).toBe(2);
    expect(unknownBatch.stderr).toContain('no batch "0000aaaa" in the audit schema');
    const noLayer = await dataplatform('force', '0000aaaa-0000');
    expect(noLayer.code).toBe(2);
    expect(noLayer.stderr).toContain('force needs --layer');
    const logs = await dataplatform('logs');
    expect(logs.code).toBe(2);
    expect(logs.stderr).toContain('logs takes one of: FUNCTION, --call CALL_ID, --batch BATCH_ID');
  }, 60_000);
});
