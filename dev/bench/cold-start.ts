/**
 * Function bundles and their cold start: every function is bundled exactly as `npm run build` does
 * (`bundleFunctions`), then each bundle is started as its container starts it (`node index.mjs`) and timed from
 * process start to its first answer (`GET /_/health` → 200), the median of a few starts. Beside the wall time,
 * the CPU time the process used until then (from /proc), which a busy machine inflates far less, and the same
 * figures for a bare `node:http` server: the floor any Node function has on this machine.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleFunctions, findFunctions } from '../build.ts';
import { freePort } from '../gateway/function-process.ts';

/** One function's bundle and how fast it starts. */
export type BundleFigure = {
  readonly name: string;
  readonly bytes: number;
  /** Median of `starts` cold starts, in ms. */
  readonly cold_start_ms: number;
  /** CPU time (user + system) the process had used at its first answer, median, in ms (10 ms resolution). */
  readonly cold_start_cpu_ms: number;
  /** Every start, in ms. */
  readonly starts_ms: number[];
};

/** A bare `node:http` server answering the health path: what starting Node itself costs here. */
const BARE_SERVER = `require('node:http').createServer((q, s) => { s.writeHead(200); s.end('{}'); }).listen(Number(process.env.http_port), '127.0.0.1');`;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

const HEALTH_PATH = '/_/health';
const START_TIMEOUT_MS = 15_000;

function healthStatus(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const call = request({ host: '127.0.0.1', port, path: HEALTH_PATH, method: 'GET', agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    call.on('error', () => resolve(undefined));
    call.end();
  });
}

/** CPU time (user + system) of a live process, in ms, from /proc/<pid>/stat; undefined where /proc is missing. */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Starts a process (`args` in `dir`) and returns the ms from spawn to its first 200 on the health path, and its CPU ms then. */
async function coldStart(dir: string, args: readonly string[]): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TZ: 'UTC', LOG_LEVEL: 'warn', http_port: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if ((await healthStatus(port)) === 200) {
        const wall = performance.now() - started;
        return { wall, cpu: (await cpuMs(child.pid)) ?? Number.NaN };
      }
      if (exited) throw new Error(`function in ${dir} exited before answering: ${stderr.slice(-2000)}`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`function in ${dir} did not answer within ${START_TIMEOUT_MS} ms`);
      await sleep(2);
    }
  } finally {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function medianStart(dir: string, args: readonly string[], starts: number): Promise<{ wall: number; cpu: number; all: number[] }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < starts; i += 1) {
    const start = await coldStart(dir, args);
    walls.push(start.wall);
    cpus.push(start.cpu);
  }
  return { wall: Math.round(median(walls)), cpu: Math.round(median(cpus)), all: walls.map(Math.round) };
}

/** The bundles and the bare-Node floor they are compared with. */
export interface BundleMeasurement {
  readonly bundles: BundleFigure[];
  /** A bare `node:http` server's cold start, wall and CPU, median of the same number of starts. */
  readonly bare_node: { readonly cold_start_ms: number; readonly cold_start_cpu_ms: number };
}

/** Bundles every function into `outDir` and measures each bundle's size and cold start (`starts` times). */
export async function measureBundles(outDir: string, starts = 3): Promise<BundleMeasurement> {
  const built = await bundleFunctions(await findFunctions(), outDir, { writeMetafile: false });
  const bare = await medianStart(outDir, ['-e', BARE_SERVER], starts);
  const bundles: BundleFigure[] = [];
  for (const bundle of built) {
    const start = await medianStart(join(outDir, bundle.name), ['index.mjs'], starts);
    bundles.push({ name: bundle.name, bytes: bundle.bytes, cold_start_ms: start.wall, cold_start_cpu_ms: start.cpu, starts_ms: start.all });
  }
  return { bundles, bare_node: { cold_start_ms: bare.wall, cold_start_cpu_ms: bare.cpu } };
}
