/**
 * `npm start [-- --once] [--timeout S] [--no-batch]` after dev/start.sh brought the services up (the OpenFaaS stack
 * among them) and built the functions and their images: migrations → dev secrets → the fake Nightscout and bunq
 * (dev/fakes/local-sources.ts) → metadata deploy with the overlay that points NSC01 and BNQ01 at them → TST01 test
 * data → `faas-cli deploy -f stack.yml` (the real CLI, against the local gateway) → one batch of each system (TST01,
 * NSC01, BNQ01) started with `faas-cli invoke --async connector-<type>` and followed from landing to gold → a summary
 * per system. Without `--once` it then reports the runs cron-connector's scheduler ticks start, until Ctrl-C; the
 * platform and the fakes keep running in the background either way (`npm run services -- down` stops them).
 * `--once` exits 1 if a batch failed. See docs/operate.md.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  CALL_TOKEN_FILE,
  dashboardDatabaseUrl,
  faasCli,
  faasCliLogin,
  functionSideUrl,
  GATEWAY_URL,
  gatewayCredentials,
  invokeAsync,
  isQueueIdle,
  linkTemplates,
  localCallToken,
  PASSWORD_FILE,
  putSecret,
  ROOT,
  waitUntilReady,
} from '../openfaas/local-stack.ts';
import { loadStack } from '../openfaas/stack-file.ts';
import { runMigrations } from '../../shared/adapters/postgres/migrate.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { query, type Db } from '../../shared/adapters/postgres/transaction.ts';
import { main as cli } from '../../shared/cli/main.ts';
import { Env, loadEnv } from '../../shared/config.ts';
import { batchNumber, listBatchFolders } from '../../shared/layers/landing/jsonfile/batch-folder.ts';
import { createLogger } from '../../shared/log.ts';
import { readMetadataDir } from '../../shared/metadata/read-metadata-dir.ts';
import { readCursor } from '../../shared/runs/cursors.ts';
import { connectorFunction } from '../../shared/runtime/payloads.ts';
import { createFunctionDeps } from '../../shared/runtime/function-deps.ts';
import { CALL_TOKEN_SECRET } from '../../shared/runtime/call-token.ts';
import { GATEWAY_PASSWORD_SECRET } from '../../shared/layers/dashboard/call-logs.ts';
import { collectSecretKeys } from '../../shared/secrets/secret-ref.ts';
import { createSecretStore } from '../../shared/secrets/create-secret-store.ts';
import { ensureLocalSourcesOverlay, FAKE_SOURCES_LOG, LOCAL_SOURCES, localSourceUrl, OVERLAY_DIR, startLocalSources } from '../fakes/local-sources.ts';
import { seedDevSecrets } from './dev-secrets.ts';
import { runTestBatch } from './run-test-batch.ts';
import { summarizeBatch } from './summary.ts';

const TEST_SYSTEM = 'TST01';
const GENERATED_BATCHES = '6';
/** The systems `npm start` runs a batch of, in this order: the canary first (its verdict matters most), then the examples. */
const START_SYSTEMS = [TEST_SYSTEM, LOCAL_SOURCES.nightscout.system_id, LOCAL_SOURCES.bunq.system_id];

const say = (step: string, text: string): void => void process.stdout.write(`▸ ${step.padEnd(11)} ${text}\n`);
const indent = (line: string): void => void process.stdout.write(`  ${line}\n`);

interface StartOptions {
  readonly once: boolean;
  readonly timeoutMs: number;
  readonly runBatch: boolean;
}

function readOptions(argv: readonly string[]): StartOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      once: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '300' },
      'no-batch': { type: 'boolean', default: false },
    },
  });
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--timeout: expected seconds > 0, got ${values.timeout}`);
  return { once: values.once, timeoutMs: timeout * 1000, runBatch: !values['no-batch'] };
}

/**
 * What faas-cli substitutes into stack.yml here: the services this checkout reads (`.env`, then the defaults), as a
 * function sees them (this machine is 10.62.0.1 on the function network), and TST01's folder root.
 */
function deployEnvironment(env: Env): NodeJS.ProcessEnv {
  const passed = (name: string): Record<string, string> => (process.env[name] ? { [name]: process.env[name] } : {});
  return {
    DATABASE_URL: functionSideUrl(env.DATABASE_URL),
    DASHBOARD_DATABASE_URL: functionSideUrl(process.env.DASHBOARD_DATABASE_URL ?? dashboardDatabaseUrl(env.DATABASE_URL)),
    MONGODB_URL: functionSideUrl(env.MONGODB_URL),
    VAULT_ADDR: functionSideUrl(env.VAULT_ADDR),
    LOG_LEVEL: env.LOG_LEVEL,
    // connector-jsonfile reads TST01's relative connection.path from the project root, not from its image folder.
    JSONFILE_BASE_DIR: ROOT,
    ...passed('METADATA_DB'),
    ...passed('LANDING_DB'),
    ...(process.env.GATEWAY_URL ? { GATEWAY_URL: functionSideUrl(process.env.GATEWAY_URL) } : {}),
  };
}

/** `faas-cli deploy -f stack.yml`, its exit status checked, then every function ready. Returns their names. */
async function deployStack(env: Env): Promise<string[]> {
  await linkTemplates();
  await faasCliLogin();
  // Every function lists the call token (stack.yml); a deploy whose secret is missing fails, as on faasd.
  await putSecret(CALL_TOKEN_SECRET, localCallToken());
  // The dashboard reads function logs through /system/logs with the gateway's password (docs/security.md).
  await putSecret(GATEWAY_PASSWORD_SECRET, gatewayCredentials().password);
  const deployEnv = deployEnvironment(env);
  const result = await faasCli(['deploy', '-f', 'stack.yml', '--gateway', GATEWAY_URL], { env: deployEnv, timeoutMs: 180_000 });
  if (result.code !== 0) {
    throw new Error(`faas-cli deploy -f stack.yml failed (exit ${result.code}):\n${(result.stdout + result.stderr).trim()}`);
  }
  const names = (await loadStack(path.join(ROOT, 'stack.yml'), { ...process.env, ...deployEnv })).functions.map((fn) => fn.name);
  await waitUntilReady(names, { timeoutMs: 120_000 });
  return names;
}

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2));
  const logDir = path.join(ROOT, '.local/log');
  await mkdir(logDir, { recursive: true });
  const log = createLogger({ component: 'start' }, pino.destination({ dest: path.join(logDir, 'start.log'), append: true, sync: false }));
  const env = loadEnv();
  // The pool is made here (not by the deps) so the migrations this start applies can be named.
  const pool = createPool({ connectionString: env.DATABASE_URL, applicationName: 'dataplatform-start', log });
  const deps = createFunctionDeps({ name: 'start', log, pool });
  const close = async (): Promise<void> => {
    await deps.close();
    await pool.end();
  };

  const migrations = await runMigrations(pool, { log });
  say('migrations', migrations.applied.length === 0 ? 'up to date' : `applied ${migrations.applied.join(', ')}`);

  const texts = await readMetadataDir(path.join(ROOT, 'metadata'));
  const keys = collectSecretKeys(Object.values(texts).map((text) => (text === undefined ? null : (JSON.parse(text) as unknown))));
  const seeded = await seedDevSecrets(keys);
  say('secrets', `${seeded.written.length} dev-only value(s) written, ${seeded.kept.length} kept, in ${seeded.store}`);
  for (const key of seeded.written) indent(`${key} (dev-only value; store the real one with: bao kv put …, see docs/metadata.md)`);

  const secrets = createSecretStore();
  await startLocalSources({
    nightscoutApiSecret: await secrets.get(LOCAL_SOURCES.nightscout.secret),
    bunqApiKey: await secrets.get(LOCAL_SOURCES.bunq.secret),
  });
  const wroteOverlay = await ensureLocalSourcesOverlay();
  const overlay = path.relative(ROOT, OVERLAY_DIR);
  say('sources', `fake Nightscout ${localSourceUrl('nightscout').here}, fake bunq ${localSourceUrl('bunq').here} (log ${path.relative(ROOT, FAKE_SOURCES_LOG)})`);
  indent(`${wroteOverlay ? 'wrote' : 'kept'} ${overlay}/systems.json: NSC01 and BNQ01 at the fakes, as functions reach them (10.62.0.1)`);

  const deployed = await runCli(['metadata', 'deploy', '--overlay', OVERLAY_DIR]);
  if (deployed.code !== 0) {
    say('metadata', 'deploy failed:');
    deployed.lines.forEach(indent);
    return 1;
  }
  say('metadata', deployed.lines[0] ?? 'deployed');

  const metadata = await deps.metadata();
  const testSystem = metadata.systems.find((system) => system.id === TEST_SYSTEM);
  if (!testSystem || testSystem.type !== 'jsonfile') throw new Error(`metadata/systems.json has no jsonfile system ${TEST_SYSTEM}`);
  const dataDir = path.resolve(ROOT, testSystem.connection.path);
  if (!(await exists(path.join(dataDir, 'generator.json')))) {
    const generated = await runCli(['generate', '--batches', GENERATED_BATCHES, '--out', dataDir]);
    if (generated.code !== 0) {
      say('test data', 'generate failed:');
      generated.lines.forEach(indent);
      return 1;
    }
  }
  const folders = await listBatchFolders(dataDir, testSystem.connection.path);
  const landed = batchNumber((await readCursor(pool, { system_id: TEST_SYSTEM }))?.position ?? null) ?? 0;
  const next = testSystem.connection.canary ? 'a canary: its connector generates the next batch when none is left' : `${folders.length - landed} to go`;
  say('test data', `${path.relative(ROOT, dataDir)}: ${folders.length} batch folders, ${landed} landed; ${next}`);

  let functions: string[];
  try {
    functions = await deployStack(env);
  } catch (error) {
    say('deploy', (error as Error).message);
    await close();
    return 1;
  }
  say('deploy', `faas-cli deploy -f stack.yml: ${functions.length} functions ready on ${GATEWAY_URL} (${functions.join(', ')})`);
  indent('logs: faas-cli logs NAME; the OpenFaaS components log to .local/log/{gateway,provider,queue-worker,cron-connector}.log');

  let ok = true;
  if (!options.runBatch) {
    say('batches', 'skipped (--no-batch)');
  } else {
    say('batches', `one batch of each system (${START_SYSTEMS.join(', ')}), one after the other: faas-cli invoke --async, the scheduler driven every second…`);
    for (const systemId of START_SYSTEMS) {
      const system = (await deps.metadata()).systems.find((candidate) => candidate.id === systemId);
      if (!system) {
        indent(`${systemId}: not in the deployed metadata, skipped`);
        continue;
      }
      const connector = connectorFunction(system.type);
      let lastReport = 0;
      const result = await runTestBatch({
        gatewayUrl: GATEWAY_URL,
        db: pool,
        systemId,
        invokeConnector: (payload, callbackUrl) => invokeAsync(connector, payload, { callbackUrl, token: localCallToken() }),
        isQueueIdle,
        timeoutMs: options.timeoutMs,
        onTick: (progress, elapsed) => {
          if (elapsed - lastReport < 5000) return;
          lastReport = elapsed;
          indent(`${systemId} ${Math.round(elapsed / 1000)} s: ${progress.running} running, ${progress.undelivered} undelivered, ${progress.open_layers} open layer(s)`);
        },
      });
      // The canary always has a batch to land; a source with nothing new since its last run is no failure.
      const summary = await summarizeBatch({ db: pool, metadata: await deps.metadata(), systemId, result, expectsData: systemId === TEST_SYSTEM });
      ok &&= summary.ok;
      process.stdout.write('\n');
      summary.lines.forEach((line) => process.stdout.write(`${line}\n`));
    }
  }
  printNextSteps();

  if (options.once) {
    await close();
    process.stdout.write('\nThe platform keeps running in the background (npm run services -- down stops it).\n');
    return ok ? 0 : 1;
  }
  process.stdout.write(
    `\nThe platform is running: cron-connector calls the scheduler every minute (TST01 every 15 minutes, NSC01 every 5, BNQ01 daily).\n` +
      `Runs are reported here until Ctrl-C, which stops the reporting, not the platform (npm run services -- down does).\n`,
  );
  process.once('SIGINT', () => void close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void close().then(() => process.exit(0)));
  await reportRuns(pool);
  return 0;
}

/** Prints each landing, layer or failure that finishes from now on, every few seconds, until the process stops. */
async function reportRuns(db: Db): Promise<never> {
  let since = new Date();
  for (;;) {
    await sleep(5000);
    const now = new Date();
    const finished = await query<{ finished_at: Date; system_id: string; layer: string; status: string; batch_id: string; error: string | null }>(
      db,
      'read finished runs',
      `select finished_at, system_id, layer, status, batch_id, error
         from audit.system_layer_run
        where finished_at >= $1 and finished_at < $2
        order by finished_at`,
      [since, now],
    ).catch(() => ({ rows: [] }));
    for (const run of finished.rows) {
      const error = run.error ? `: ${run.error.split('\n', 1)[0]?.slice(0, 160) ?? ''}` : '';
      indent(`${run.finished_at.toISOString()} ${run.system_id} ${run.layer} ${run.status} (batch ${run.batch_id})${error}`);
    }
    since = now;
  }
}

function printNextSteps(): void {
  const faasCliPath = path.relative(process.cwd(), path.join(ROOT, '.local/bin/faas-cli')) || '.local/bin/faas-cli';
  const password = path.relative(process.cwd(), PASSWORD_FILE);
  const token = path.relative(process.cwd(), CALL_TOKEN_FILE);
  const auth = `-H "Authorization: Bearer $(cat ${token})"`;
  const lines = [
    '',
    'Where to look next (docs/operate.md):',
    '  status     npx dataplatform status          (what is fresh, late, failed or stuck, each failure with the command that reruns it)',
    '  run        npx dataplatform run TST01       (a batch through every layer, followed to the end; also rerun, force, rebuild, backfill)',
    '  logs       npx dataplatform logs --batch ID (the function logs of one batch across functions)',
    `  dashboard  ${GATEWAY_URL}/function/dashboard   (JSON: ?format=json; the browser asks: any user, the call token as password)`,
    '',
    `By hand (faas-cli is ${faasCliPath}, already logged in; functions ask for the call token in ${token}):`,
    `  functions  ${faasCliPath} list`,
    `  invoke     echo '{"system_id":"TST01"}' | ${faasCliPath} invoke connector-jsonfile --content-type application/json ${auth}`,
    `  force      echo '{"batch_id":"…","system_id":"TST01","entity_id":"test_customer","force":true}' | ${faasCliPath} invoke bronze --async --content-type application/json ${auth}`,
    `  logs       ${faasCliPath} logs bronze --tail=false --since 10m`,
    `  login      ${faasCliPath} login --username admin --password-stdin < ${password}`,
    `  UI         ${GATEWAY_URL}/ui/  (user admin, password in ${password})`,
    `  psql       psql ${psqlTarget()} -c 'select * from gold.test_customer_order_total limit 10'`,
    `  sources    the fake Nightscout and bunq behind NSC01 and BNQ01: ${path.relative(process.cwd(), OVERLAY_DIR)}/systems.json points them there`,
  ];
  lines.forEach((line) => process.stdout.write(`${line}\n`));
}

/** The local database's URL (its password is the public dev one); any other is named by variable, never printed. */
function psqlTarget(): string {
  const url = loadEnv().DATABASE_URL;
  return url === Env.shape.DATABASE_URL.parse(undefined) ? url : '"$DATABASE_URL"';
}

/** Runs a `dataplatform` CLI command in this process, collecting what it prints. */
async function runCli(argv: readonly string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await cli(argv, { out: (line) => lines.push(line), err: (line) => lines.push(line), env: process.env, cwd: ROOT });
  return { code, lines };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
