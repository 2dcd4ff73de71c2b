/**
 * Function bundles and their cold start: every function is bundled exactly as `npm run build` does
 * (`bundleFunctions`), then each bundle is started as its container starts it: the real of-watchdog (the image's
 * config from the template's Dockerfile, `fprocess` `node index.cjs`) in a network namespace of its own on the
 * function bridge, as the local provider runs replicas. A start is timed from spawning the watchdog to its first
 * `GET /_/ready` → 200, which the watchdog answers only once the function's own server answers (`ready_path`), the
 * median of a few starts. Beside the wall time, the CPU time the watchdog and the function used until then (from
 * /proc), which a busy machine inflates far less, and the same figures for a bare `node:http` server behind the same
 * watchdog: the floor any Node function has on this machine.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleFunctions, findFunctions } from '../build.ts';
import { dockerfileConfig, type ImageConfig } from '../openfaas/images.ts';
import { FUNCTION_HOST_IP, ROOT } from '../openfaas/local-stack.ts';
import { FunctionNetwork } from '../openfaas/provider/function-network.ts';
import { replicaEnvironment } from '../openfaas/provider/replica-env.ts';

/** One function's bundle and how fast it starts. */
export type BundleFigure = {
  readonly name: string;
  readonly bytes: number;
  /** Median of `starts` cold starts behind of-watchdog, in ms. */
  readonly cold_start_ms: number;
  /** CPU time (user + system) of the watchdog and the function at the first ready answer, median, in ms (10 ms resolution). */
  readonly cold_start_cpu_ms: number;
  /** Every start, in ms. */
  readonly starts_ms: number[];
};

/** A bare `node:http` server answering the health path: what starting Node itself costs here. */
const BARE_SERVER = `require('node:http').createServer((q, s) => { s.writeHead(200); s.end('{}'); }).listen(Number(process.env.http_port ?? 3000), '127.0.0.1');`;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
const START_TIMEOUT_MS = 15_000;
const WATCHDOG = join(ROOT, '.local/bin/of-watchdog');
/** The bench's own namespaces and addresses on the bridge, apart from the provider's. */
const network = new FunctionNetwork('openfaas0', FUNCTION_HOST_IP, { netnsPrefix: 'dp-bench-', vethPrefix: 'dpb', firstSlot: 60_000 });

function readyStatus(host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const call = request({ host, port: 8080, path: '/_/ready', method: 'GET', agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    call.on('error', () => resolve(undefined));
    call.on('timeout', () => call.destroy());
    call.end();
  });
}

/** CPU time (user + system) of a live process and its children, in ms, from /proc; undefined where /proc is missing. */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    const own = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
    let total = own;
    for (const child of children) total += (await cpuMs(child)) ?? 0;
    return total;
  } catch {
    return undefined;
  }
}

/** Starts of-watchdog with `fprocess` in `dir`, and returns the ms from spawn to its first ready 200, and the CPU ms then. */
async function coldStart(dir: string, fprocess: string, image: ImageConfig): Promise<{ wall: number; cpu: number }> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'dp-cold-start-'));
  const attachment = await network.attach('cold-start');
  const env = {
    ...replicaEnvironment(image, { service: 'cold-start', image: image.ref, envProcess: fprocess, envVars: { LOG_LEVEL: 'warn' } }, { rootDir: dir, tmpDir, secretsDir: tmpDir }),
  };
  const started = performance.now();
  const child = spawn('ip', ['netns', 'exec', attachment.netns, WATCHDOG], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if ((await readyStatus(attachment.ip)) === 200) {
        const wall = performance.now() - started;
        return { wall, cpu: (await cpuMs(child.pid)) ?? Number.NaN };
      }
      if (exited) throw new Error(`the watchdog in ${dir} exited before the function was ready: ${stderr.slice(-2000)}`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`function in ${dir} not ready within ${START_TIMEOUT_MS} ms: ${stderr.slice(-2000)}`);
      await sleep(2);
    }
  } finally {
    if (!exited && child.pid !== undefined) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGKILL');
      await gone;
    }
    await network.detach(attachment);
    await rm(tmpDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function medianStart(dir: string, fprocess: string, image: ImageConfig, starts: number): Promise<{ wall: number; cpu: number; all: number[] }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < starts; i += 1) {
    const start = await coldStart(dir, fprocess, image);
    walls.push(start.wall);
    cpus.push(start.cpu);
  }
  return { wall: Math.round(median(walls)), cpu: Math.round(median(cpus)), all: walls.map(Math.round) };
}

/** The bundles and the bare-Node floor they are compared with. */
export interface BundleMeasurement {
  readonly bundles: BundleFigure[];
  /** A bare `node:http` server's cold start behind of-watchdog, wall and CPU, median of the same number of starts. */
  readonly bare_node: { readonly cold_start_ms: number; readonly cold_start_cpu_ms: number };
}

/** Bundles every function into `outDir` and measures each bundle's size and cold start (`starts` times). */
export async function measureBundles(outDir: string, starts = 3): Promise<BundleMeasurement> {
  const built = await bundleFunctions(await findFunctions(), outDir, { writeMetafile: false });
  const template = dockerfileConfig(await readFile(join(ROOT, 'templates/dataplatform-node20/Dockerfile'), 'utf8'));
  const image: ImageConfig = { ref: 'bench', created: new Date().toISOString(), ...template };
  // of-watchdog splits fprocess on spaces, so the bare server is a file, not `node -e …`.
  const bareDir = join(outDir, 'bare-node');
  await mkdir(bareDir, { recursive: true });
  await writeFile(join(bareDir, 'server.cjs'), BARE_SERVER);
  const bare = await medianStart(bareDir, 'node server.cjs', image, starts);
  const bundles: BundleFigure[] = [];
  for (const bundle of built) {
    const start = await medianStart(join(outDir, bundle.name), 'node index.cjs', image, starts);
    bundles.push({ name: bundle.name, bytes: bundle.bytes, cold_start_ms: start.wall, cold_start_cpu_ms: start.cpu, starts_ms: start.all });
  }
  return { bundles, bare_node: { cold_start_ms: bare.wall, cold_start_cpu_ms: bare.cpu } };
}
