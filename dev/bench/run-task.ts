/**
 * The orchestrator's side of a task: bundle the stage worker once (esbuild, as functions are bundled, so a
 * stage's memory is that of production code and not of a TypeScript loader), then run each task in a fresh
 * `node` process and read back its result.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { OPTIONAL_DEPENDENCIES } from '../build.ts';
import { TaskResult, type BenchTask } from './bench-task.ts';

const WORKER_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'stage-worker.ts');
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// As in dev/build.ts: CommonJS dependencies bundled into ESM still call `require` for node built-ins.
const CJS_BANNER = "import { createRequire as __dpCreateRequire } from 'node:module';\nconst require = __dpCreateRequire(import.meta.url);";
/** Lines of a failed task's output kept for its error message. */
const TAIL_LINES = 40;

/** Bundles `stage-worker.ts` into `<outDir>/stage-worker.mjs` and returns its path. */
export async function bundleWorker(outDir: string): Promise<string> {
  const outfile = join(outDir, 'stage-worker.mjs');
  await build({
    entryPoints: [WORKER_SOURCE],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    keepNames: true,
    banner: { js: CJS_BANNER },
    external: [...OPTIONAL_DEPENDENCIES],
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  return outfile;
}

/** How a task process is run. */
export interface RunTaskOptions {
  /** The task is killed after this long. */
  readonly timeoutMs: number;
  /** Pass the task's log lines through to stderr. */
  readonly verbose: boolean;
  /** Where the result file goes. */
  readonly scratchDir: string;
  /** Kills the task when aborted (the run is being stopped). */
  readonly signal?: AbortSignal;
  /** Extra `node` options for the task process (`--profile`: a CPU profile). */
  readonly nodeArgs?: readonly string[];
}

/** Runs one task in its own process; rejects with the tail of its output when it fails. */
export async function runTask(workerFile: string, task: BenchTask, options: RunTaskOptions): Promise<TaskResult> {
  const resultFile = join(options.scratchDir, `result-${task.kind}-${Date.now()}.json`);
  const tail: string[] = [];
  const keep = (chunk: Buffer): void => {
    if (options.verbose) process.stderr.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
  };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), workerFile, JSON.stringify(task), resultFile], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal ? { signal: options.signal, killSignal: 'SIGKILL' as const } : {}),
  });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  clearTimeout(timer);
  if (exit.code !== 0) {
    const how = exit.signal ? `was killed (${exit.signal}${exit.signal === 'SIGKILL' ? ', timeout?' : ''})` : `exited with ${exit.code}`;
    throw new Error(`bench task ${task.kind} ${how}:\n${tail.join('\n')}`);
  }
  try {
    return TaskResult.parse(JSON.parse(await readFile(resultFile, 'utf8')));
  } finally {
    await rm(resultFile, { force: true });
  }
}
