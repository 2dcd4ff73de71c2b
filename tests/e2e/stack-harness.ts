/**
 * End-to-end tests run against the local OpenFaaS stack that `npm test` brings up (the real gateway, NATS Streaming,
 * queue-worker, cron-connector and of-watchdog, with the project's provider): each test file works in a namespace of
 * its own, created and removed through faas-cli, with its own faas-cli login, so it never touches what `npm start`
 * deployed. The gateway's port is fixed (8080), so e2e files run one after the other (vitest.config.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleFunction } from '../../dev/build.ts';
import { removeImage, writeImage } from '../../dev/openfaas/images.ts';
import {
  faasCli,
  faasCliLogin,
  GATEWAY_URL,
  IMAGES_DIR,
  PROVIDER_STATE_DIR,
  ROOT,
  type CliResult,
} from '../../dev/openfaas/local-stack.ts';

export { authHeader, GATEWAY_URL, isQueueIdle, listFunctions, queueState, services, waitUntilReady } from '../../dev/openfaas/local-stack.ts';

const TEMPLATE = 'dataplatform-node20';
const PYTHON_TEMPLATE = 'dataplatform-python3';

/** A namespace of the local stack for one test file, and a faas-cli logged in for it. */
export interface TestNamespace {
  readonly name: string;
  /** A scratch folder: stack files, bundles, files the echo function waits for. */
  readonly dir: string;
  /** faas-cli's environment: this file's own login (`OPENFAAS_CONFIG`). */
  readonly cliEnv: NodeJS.ProcessEnv;
  /** Runs faas-cli in the scratch folder (where `template/` links to the project's templates). */
  cli(args: readonly string[], options?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<CliResult>;
  /** Bundles a fixture handler as `npm run build` bundles functions and writes it as the image `ref`. */
  buildImage(ref: string, handlerPath: string): Promise<string>;
  /** `faas-cli deploy -f <yaml> --namespace <this>`; fails with faas-cli's output unless `allowFailure`. */
  deploy(stackYaml: string, options?: { env?: NodeJS.ProcessEnv; allowFailure?: boolean }): Promise<CliResult>;
  /** `/function/NAME.NAMESPACE` on the gateway. */
  functionUrl(name: string, rest?: string): string;
  /** What the provider says of a running replica: its pid and address. */
  replica(name: string): Promise<{ pid: number; ip: string; starts: number }>;
  /** Removes the namespace (and its functions and secrets), the images written, the scratch folder. */
  remove(): Promise<void>;
}

/** Creates a namespace `<prefix>-<random>` on the local stack. */
export async function createTestNamespace(prefix: string): Promise<TestNamespace> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  await mkdir(path.join(dir, 'template'), { recursive: true });
  // faas-cli deploy reads each function's template.yml: the node template, and the Python one (action-train).
  for (const template of [TEMPLATE, PYTHON_TEMPLATE]) await symlink(path.join(ROOT, 'templates', template), path.join(dir, 'template', template));
  const cliEnv: NodeJS.ProcessEnv = { OPENFAAS_CONFIG: path.join(dir, '.openfaas'), OPENFAAS_URL: GATEWAY_URL };
  await faasCliLogin(cliEnv);
  const images: string[] = [];
  const cli: TestNamespace['cli'] = (args, options = {}) =>
    faasCli(args, { ...options, cwd: dir, env: { ...cliEnv, ...options.env } });
  const created = await cli(['namespace', 'create', name]);
  if (created.code !== 0) throw new Error(`faas-cli namespace create ${name} failed: ${created.stderr}${created.stdout}`);
  return {
    name,
    dir,
    cliEnv,
    cli,
    async buildImage(ref, handlerPath) {
      const bundleDir = path.join(dir, 'bundles', ref.replace(/[^a-z0-9]+/gi, '_'));
      await bundleFunction(path.basename(path.dirname(handlerPath)), handlerPath, bundleDir, { writeMetafile: false });
      images.push(ref);
      await writeImage({ imagesDir: IMAGES_DIR, ref, bundleDir, dockerfile: path.join(ROOT, 'templates', TEMPLATE, 'Dockerfile') });
      return bundleDir;
    },
    async deploy(stackYaml, options = {}) {
      const file = path.join(dir, `stack-${randomUUID().slice(0, 8)}.yml`);
      await writeFile(file, stackYaml);
      const result = await cli(['deploy', '-f', file, '--namespace', name, '--gateway', GATEWAY_URL], { env: options.env, timeoutMs: 180_000 });
      if (result.code !== 0 && !options.allowFailure) throw new Error(`faas-cli deploy failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
      return result;
    },
    functionUrl: (fn, rest = '') => `${GATEWAY_URL}/function/${fn}.${name}${rest}`,
    async replica(fn) {
      const file = path.join(PROVIDER_STATE_DIR, 'replicas', name, fn, 'replica.json');
      for (let i = 0; i < 200; i += 1) {
        const text = await readFile(file, 'utf8').catch(() => undefined);
        if (text !== undefined) return JSON.parse(text) as { pid: number; ip: string; starts: number };
        await sleep(100);
      }
      throw new Error(`no replica of ${fn} in ${name}`);
    },
    async remove() {
      await cli(['namespace', 'delete', name]);
      await Promise.all(images.map((ref) => removeImage(IMAGES_DIR, ref)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A stack entry for a fixture image (the project's template, the watchdog timeouts given). */
export function stackEntry(name: string, image: string, extra = '', timeouts = { exec: '20s', rw: '25s' }): string {
  return `  ${name}:
    lang: ${TEMPLATE}
    handler: ./unused
    image: ${image}
    environment:
      exec_timeout: ${timeouts.exec}
      read_timeout: ${timeouts.rw}
      write_timeout: ${timeouts.rw}
${extra}`;
}

/** A stack file around entries. */
export function stackFile(entries: readonly string[]): string {
  return `version: 1.0\nprovider:\n  name: openfaas\n  gateway: ${GATEWAY_URL}\nfunctions:\n${entries.join('\n')}\n`;
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** One request a callback receiver got. */
export interface ReceivedCallback {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A local `X-Callback-Url` receiver (the queue-worker posts there) that records every POST. */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  #server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` callbacks arrived. */
  waitFor(count: number, timeoutMs = 30_000): Promise<ReceivedCallback[]> {
    return eventually(`${count} callback(s)`, async () => (this.received.length >= count ? this.received.slice(0, count) : undefined), timeoutMs, 50);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server?.close(() => resolve());
      this.#server?.closeAllConnections();
    });
  }
}
