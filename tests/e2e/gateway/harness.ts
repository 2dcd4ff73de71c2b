import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction } from '../../../dev/build.ts';
import { startGateway, type Gateway, type GatewayOptions } from '../../../dev/gateway/gateway.ts';
import { createLogger } from '../../../shared/log.ts';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The watchdog the gateway runs: `.local/bin/watchdog` from `npm run services -- up`, or `GATEWAY_WATCHDOG`. */
export const WATCHDOG = process.env.GATEWAY_WATCHDOG ?? path.join(ROOT, '.local/bin/watchdog');

export const PASSWORD = 'e2e-password';

/** `Authorization` for `/system/*`. */
export const AUTH = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };

/** A scratch folder with the echo fixture bundled into `echo/` and room for a stack file and secrets. */
export interface Workspace {
  readonly dir: string;
  writeStack(yaml: string): Promise<string>;
  writeSecret(name: string, value: string): Promise<void>;
  start(options?: GatewayOptions): Promise<Gateway>;
  remove(): Promise<void>;
}

/** Bundles the echo fixture exactly as `npm run build` bundles a function, into a fresh temp folder. */
export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-e2e-'));
  await bundleFunction('echo', path.join(ROOT, 'tests/fixtures/gateway/echo/handler.ts'), path.join(dir, 'echo'), {
    writeMetafile: false,
  });
  return {
    dir,
    async writeStack(yaml) {
      const file = path.join(dir, 'stack.yml');
      await writeFile(file, yaml);
      return file;
    },
    async writeSecret(name, value) {
      await mkdir(path.join(dir, 'secrets'), { recursive: true });
      await writeFile(path.join(dir, 'secrets', name), value);
    },
    start(options = {}) {
      return startGateway({
        root: dir,
        port: 0,
        password: PASSWORD,
        watchdogPath: WATCHDOG,
        stateDir: 'state',
        secretStoreDir: 'secrets',
        stopGraceMs: 500,
        log: createLogger({ component: 'gateway' }, { write: () => undefined }),
        ...options,
        cron: { tickMs: 0, ...options.cron },
      });
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** One request a callback receiver got. */
export interface ReceivedCallback {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A local `X-Callback-Url` receiver that records every POST. */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  #server: http.Server | undefined;
  #waiters: (() => void)[] = [];

  /** Base URL once started. */
  url = '';

  async start(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` callbacks have arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} callbacks, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  clear(): void {
    this.received.length = 0;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server?.close(() => resolve());
      this.#server?.closeAllConnections();
    });
  }
}

/** The JSON the echo fixture answers with. */
export interface EchoAnswer {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly call_id: string | null;
  readonly secrets: string[] | null;
  readonly tz: string | null;
  readonly started_at: number;
  readonly finished_at: number;
}

/** A stack entry for the echo bundle. */
export function echoEntry(name: string, extra = ''): string {
  return `  ${name}:
    lang: dataplatform-node20
    handler: ./echo
    image: test/${name}:latest
    environment:
      exec_timeout: 20s
      read_timeout: 25s
      write_timeout: 25s
${extra}`;
}
