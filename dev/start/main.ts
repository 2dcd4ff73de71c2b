/**
 * `npm start [-- --once] [--port N] [--timeout S] [--no-batch]` after dev/start.sh brought the services up and
 * built the functions: migrations → dev secrets → metadata deploy → TST01 test data → the local gateway with
 * every function of stack.yml → one TST01 batch from landing to gold → a summary. Then the platform keeps running
 * (cron fires the scheduler every minute) until Ctrl-C; `--once` stops after the batch and exits 1 if it failed.
 * See docs/operate.md.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startGateway, type Gateway } from '../gateway/gateway.ts';
import { runMigrations } from '../../shared/adapters/postgres/migrate.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { main as cli } from '../../shared/cli/main.ts';
import { Env, loadEnv } from '../../shared/config.ts';
import { batchNumber } from '../../shared/layers/landing/jsonfile/jsonfile-connector.ts';
import { createLogger } from '../../shared/log.ts';
import { readMetadataDir } from '../../shared/metadata/read-metadata-dir.ts';
import { readCursor } from '../../shared/runs/cursors.ts';
import { connectorFunction } from '../../shared/runtime/payloads.ts';
import { createFunctionDeps } from '../../shared/runtime/function-deps.ts';
import { collectSecretKeys } from '../../shared/secrets/secret-ref.ts';
import { seedDevSecrets } from './dev-secrets.ts';
import { runTestBatch } from './run-test-batch.ts';
import { summarizeBatch } from './summary.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEST_SYSTEM = 'TST01';
const GENERATED_BATCHES = '6';

/** Set once Ctrl-C arrived: work cut short by the stop is not an error to report. */
let isStopping = false;

const say = (step: string, text: string): void => void process.stdout.write(`▸ ${step.padEnd(11)} ${text}\n`);
const indent = (line: string): void => void process.stdout.write(`  ${line}\n`);

interface StartOptions {
  readonly once: boolean;
  readonly port: number;
  readonly timeoutMs: number;
  readonly runBatch: boolean;
}

function readOptions(argv: readonly string[]): StartOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      once: { type: 'boolean', default: false },
      port: { type: 'string', default: process.env.GATEWAY_PORT ?? '8080' },
      timeout: { type: 'string', default: '300' },
      'no-batch': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  const timeout = Number(values.timeout);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`--port: expected 1…65535, got ${values.port}`);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--timeout: expected seconds > 0, got ${values.timeout}`);
  return { once: values.once, port, timeoutMs: timeout * 1000, runBatch: !values['no-batch'] };
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

  const deployed = await runCli(['metadata', 'deploy']);
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
  const folders = await batchFolders(dataDir);
  const landedBefore = batchNumber((await readCursor(pool, { system_id: TEST_SYSTEM }))?.position ?? null) ?? 0;
  const remaining = folders.filter((folder) => (batchNumber(folder) ?? 0) > landedBefore);
  say('test data', `${path.relative(ROOT, dataDir)}: ${folders.length} batches, ${folders.length - remaining.length} landed, ${remaining.length} to go`);

  const gateway = await startPlatformGateway(options.port, logDir);
  // From here on, Ctrl-C must stop the gateway: function processes run detached and would outlive this one.
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => (stopping ??= gateway.stop().then(close));
  const stopOnSignal = (): void => {
    isStopping = true;
    process.stdout.write('stopping…\n');
    void shutdown().then(() => process.exit(options.once ? 130 : 0));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  say('gateway', `${gateway.url} with ${gateway.functions.length} functions (${gateway.functions.join(', ')})`);
  indent(`logs: .local/log/gateway.log (gateway), .local/log/functions.log (every function's output)`);

  let ok = true;
  if (!options.runBatch) {
    say('test batch', 'skipped (--no-batch)');
  } else if (remaining.length === 0) {
    say('test batch', `all ${folders.length} generated batches of ${TEST_SYSTEM} are processed; add more with: npx dataplatform generate --batches ${folders.length + 6}`);
  } else {
    say('test batch', `${TEST_SYSTEM} ${remaining[0]} via ${connectorFunction(testSystem.type)} (async), driving the scheduler every second…`);
    let lastReport = 0;
    const result = await runTestBatch({
      gatewayUrl: gateway.url,
      db: pool,
      systemId: TEST_SYSTEM,
      connector: connectorFunction(testSystem.type),
      isGatewayIdle: () => {
        const state = gateway.queueState();
        return state.pending + state.inFlight + state.running === 0;
      },
      timeoutMs: options.timeoutMs,
      onTick: (progress, elapsed) => {
        if (elapsed - lastReport < 5000) return;
        lastReport = elapsed;
        const queue = gateway.queueState();
        indent(`${Math.round(elapsed / 1000)} s: ${progress.running} running, ${progress.undelivered} undelivered, ${queue.pending + queue.running} in the gateway queue, ${progress.open_layers} open layer(s)`);
      },
    });
    const summary = await summarizeBatch({ db: pool, metadata: await deps.metadata(), systemId: TEST_SYSTEM, result, expectsData: true });
    ok = summary.ok;
    process.stdout.write('\n');
    summary.lines.forEach((line) => process.stdout.write(`${line}\n`));
    const left = folders.filter((folder) => (batchNumber(folder) ?? 0) > (batchNumber(summary.label) ?? landedBefore)).length;
    process.stdout.write(
      left === 0
        ? `  that was the last of the ${folders.length} generated batches (npx dataplatform generate --batches ${folders.length + 6} adds more)\n`
        : `  ${left} generated batch(es) left: \`npm start -- --once\` lands the next\n`,
    );
  }
  printNextSteps(gateway);

  if (options.once) {
    await shutdown();
    return ok ? 0 : 1;
  }
  process.stdout.write(`\nThe platform is running: the scheduler fires every minute (TST01 every 15 minutes). Ctrl-C stops it.\n`);
  // The gateway's server keeps the process alive; the signal handler above stops it and exits.
  return new Promise<number>(() => undefined);
}

/** The gateway with every function of stack.yml; its logs and the functions' output go to files. */
async function startPlatformGateway(port: number, logDir: string): Promise<Gateway> {
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const functionLog = createWriteStream(path.join(logDir, 'functions.log'), { flags: 'a' });
  try {
    return await startGateway({
      root: ROOT,
      port,
      // Functions chain through the gateway they run behind; connector-jsonfile reads TST01's relative
      // connection.path from the project root, not from its bundle folder (its working directory here).
      env: { ...process.env, GATEWAY_URL: gatewayUrl, JSONFILE_BASE_DIR: ROOT },
      log: createLogger({ component: 'gateway' }, pino.destination({ dest: path.join(logDir, 'gateway.log'), append: true, sync: false })),
      onFunctionLog: (line) => {
        functionLog.write(`${line.text}\n`);
        echoProblem(line.name, line.text);
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${port} is in use (another \`npm start\` or gateway?); stop it or pass --port N`, { cause: error });
    }
    throw error;
  }
}

/** Errors of functions reach the terminal as one short line each; everything else stays in the log file. */
function echoProblem(name: string, text: string): void {
  let line: { level?: unknown; msg?: unknown; reason?: unknown; error_code?: unknown };
  try {
    line = JSON.parse(text) as typeof line;
  } catch {
    return;
  }
  if (line.level !== 'error' && line.level !== 'fatal') return;
  const reason = typeof line.reason === 'string' ? `: ${line.reason.split('\n', 1)[0]?.slice(0, 160) ?? ''}` : '';
  indent(`[${name}] ${String(line.level)} ${String(line.msg)}${reason}`);
}

function printNextSteps(gateway: Gateway): void {
  const auth = gateway.credentials.passwordFile
    ? `-u admin:$(cat ${path.relative(ROOT, gateway.credentials.passwordFile)})`
    : '-u admin:$GATEWAY_PASSWORD';
  const lines = [
    '',
    'Where to look next (docs/operate.md):',
    `  dashboard  ${gateway.url}/function/dashboard   (JSON: ?format=json)`,
    `  invoke     curl -s ${gateway.url}/function/connector-jsonfile -d '{"system_id":"TST01"}'          # faas-cli invoke connector-jsonfile`,
    `  force      curl -s ${gateway.url}/async-function/bronze -d '{"batch_id":"…","system_id":"TST01","entity_id":"test_customer","force":true}'`,
    `  logs       curl -s ${auth} '${gateway.url}/system/logs?name=bronze&tail=20'   # faas-cli logs bronze`,
    `  psql       psql ${psqlTarget()} -c 'select * from gold.test_customer_order_total limit 10'`,
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

async function batchFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && batchNumber(entry.name) !== undefined)
    .map((entry) => entry.name)
    .sort((a, b) => (batchNumber(a) ?? 0) - (batchNumber(b) ?? 0));
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
    if (isStopping) return; // the signal handler exits once everything is stopped
    process.stderr.write(`start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
