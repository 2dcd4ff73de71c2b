import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ConfigurationError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { LineSplitter, type LogStore } from './logs.ts';
import type { StackFunction } from './stack-file.ts';

/** The entry the project's template builds into each handler folder (`build/functions/<name>/index.mjs`). */
export const DEFAULT_FPROCESS = 'node index.mjs';

/** The template's watchdog settings (its Dockerfile ENV), which a function's stack `environment` may override. */
export const TEMPLATE_ENVIRONMENT: Readonly<Record<string, string>> = {
  exec_timeout: '10s',
  read_timeout: '15s',
  write_timeout: '15s',
  prefix_logs: 'false',
};

/** Variables of the gateway's own environment a function process inherits; everything else comes from the stack. */
const INHERITED = ['PATH', 'HOME', 'LANG'];

/** Where one function's process lives and what it may read. */
export interface FunctionPaths {
  /** Folder of the function's own secret links (its `SECRETS_DIR`). */
  readonly secretsDir: string;
  /** Its temp folder (`TMPDIR`, where the watchdog writes its lock file). */
  readonly tmpDir: string;
}

/**
 * The environment of a function's watchdog (and, inherited, of its node process): template defaults, then the
 * stack's environment, then what the gateway must control (ports, mode, fprocess, paths). `TZ=UTC` because a
 * container has no time zone.
 */
export function functionEnvironment(
  fn: StackFunction,
  ports: { readonly watchdog: number; readonly upstream: number },
  paths: FunctionPaths,
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = inherited[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    TZ: 'UTC',
    ...TEMPLATE_ENVIRONMENT,
    ...fn.environment,
    mode: 'http',
    fprocess: fn.fprocess ?? DEFAULT_FPROCESS,
    upstream_url: `http://127.0.0.1:${ports.upstream}`,
    port: String(ports.watchdog),
    http_port: String(ports.upstream),
    lock_path: path.join(paths.tmpDir, '.lock'),
    TMPDIR: paths.tmpDir,
    SECRETS_DIR: paths.secretsDir,
  };
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Links the function's declared secrets from the secret store into its own folder, so it sees only those
 * (like `/var/openfaas/secrets/` in a container). A missing one fails like faasd's deploy does.
 */
export async function linkSecrets(fn: StackFunction, storeDir: string, targetDir: string): Promise<void> {
  await rm(targetDir, { recursive: true, force: true });
  await mkdir(targetDir, { recursive: true });
  for (const secret of fn.secrets) {
    const source = path.resolve(storeDir, secret);
    if (!existsSync(source)) {
      throw new ConfigurationError(`function ${fn.name}: unable to find secret: ${secret} (expected the file ${source})`);
    }
    await symlink(source, path.join(targetDir, secret));
  }
}

// Process groups still running, killed if the gateway exits without stopping them (a crash, a test worker).
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** How to start one function. */
export interface FunctionProcessOptions {
  readonly fn: StackFunction;
  readonly watchdogPath: string;
  /** This gateway instance's own folder: per-function temp and secret folders go below it. */
  readonly runDir: string;
  /** The secret store: one file per secret name. */
  readonly secretStoreDir: string;
  readonly logs: LogStore;
  readonly log: Logger;
  readonly startupTimeoutMs: number;
}

/**
 * One function running as `watchdog` → `fprocess`, like a function container: its output goes to the log
 * store line by line, and `port` is the watchdog's port while the process is up.
 */
export class FunctionProcess {
  readonly createdAt = new Date();
  #child: ChildProcess | undefined;
  #port: number | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopping = false;

  private constructor(
    readonly fn: StackFunction,
    readonly environment: Readonly<Record<string, string>>,
  ) {}

  /** The watchdog's port, or undefined once the process has exited. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Starts the watchdog and resolves when both it (`/_/health` 200) and the function's server listen. */
  static async start(options: FunctionProcessOptions): Promise<FunctionProcess> {
    const { fn } = options;
    if (!existsSync(options.watchdogPath)) {
      throw new ConfigurationError(
        `watchdog not found at ${options.watchdogPath}: run "npm run services -- up" to install it (the local gateway has no fallback)`,
      );
    }
    if (fn.fprocess === undefined && !existsSync(path.join(fn.handlerDir, 'index.mjs'))) {
      throw new ConfigurationError(`function ${fn.name}: no bundle at ${path.join(fn.handlerDir, 'index.mjs')}; run "npm run build"`);
    }
    const paths: FunctionPaths = {
      secretsDir: path.join(options.runDir, 'secrets', fn.name),
      tmpDir: path.join(options.runDir, 'tmp', fn.name),
    };
    await linkSecrets(fn, options.secretStoreDir, paths.secretsDir);
    await rm(paths.tmpDir, { recursive: true, force: true });
    await mkdir(paths.tmpDir, { recursive: true });
    const ports = { watchdog: await freePort(), upstream: await freePort() };
    const env = functionEnvironment(fn, ports, paths);
    const instance = new FunctionProcess(fn, env);
    instance.#spawn(options, env, ports.watchdog);
    await instance.#waitUntilReady(options, ports);
    return instance;
  }

  /** The environment as `/system/functions` reports it (`envVars`): template defaults and the stack's. */
  get envVars(): Record<string, string> {
    return { ...TEMPLATE_ENVIRONMENT, ...this.fn.environment };
  }

  /** SIGTERM to the process group (watchdog and function), SIGKILL after the grace period. */
  async stop(graceMs = 3000): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return this.#exited;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid ?? 0, 'SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  #spawn(options: FunctionProcessOptions, env: Record<string, string>, port: number): void {
    const { fn, logs } = options;
    // Its own process group, so stop() reaches the function's node process even if the watchdog does not pass
    // the signal on.
    const child = spawn(options.watchdogPath, [], { cwd: fn.handlerDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#child = child;
    this.#port = port;
    if (child.pid) liveGroups.add(child.pid);
    const capture = (stream: NodeJS.ReadableStream): LineSplitter => {
      const splitter = new LineSplitter((text) =>
        logs.append({ name: fn.name, namespace: fn.namespace, instance: fn.name, timestamp: new Date().toISOString(), text }),
      );
      stream.on('data', (chunk: Buffer) => splitter.push(chunk));
      return splitter;
    };
    const splitters = [capture(child.stdout!), capture(child.stderr!)];
    this.#exited = new Promise((resolve) => {
      child.on('error', (error) => {
        options.log.error({ function: fn.name, err: error }, 'function process failed to start');
      });
      child.on('close', (code, signal) => {
        for (const splitter of splitters) splitter.flush();
        this.#port = undefined;
        if (child.pid) liveGroups.delete(child.pid);
        if (!this.#stopping) options.log.warn({ function: fn.name, code, signal }, 'function process exited');
        resolve();
      });
    });
  }

  async #waitUntilReady(options: FunctionProcessOptions, ports: { watchdog: number; upstream: number }): Promise<void> {
    const deadline = Date.now() + options.startupTimeoutMs;
    while (Date.now() < deadline) {
      if (this.#port === undefined) break;
      if ((await healthStatus(ports.watchdog)) === 200 && (await accepts(ports.upstream))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const exited = this.#port === undefined;
    await this.stop(0);
    const tail = options.logs.read({ name: this.fn.name, tail: 20 }).map((line) => `  ${line.text}`);
    throw new ConfigurationError(
      `function ${this.fn.name} ${exited ? 'exited during start' : `did not become ready within ${options.startupTimeoutMs} ms`}` +
        (tail.length > 0 ? `; last output:\n${tail.join('\n')}` : '; it wrote no output'),
    );
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** The status of the watchdog's `GET /_/health`, or 0 when it does not answer. */
function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/_/health', agent: false, timeout: 1000 }, (answer) => {
      answer.resume();
      resolve(answer.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => request.destroy());
  });
}

/** True when something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
