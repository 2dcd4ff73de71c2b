/**
 * One replica of a deployed function, as faasd runs a container: the real of-watchdog (the image's `CMD`) with the
 * image's config and the deployment's environment, in a network namespace of its own, its working directory the
 * image's root. Its output goes to the function's log line by line. A replica that dies is started again after a
 * back-off (1 s, doubling to 30 s; reset once it stayed up a minute). It becomes available once its watchdog answers
 * `GET /_/ready` (which asks the function itself when the image sets `ready_path`), and stays so while the watchdog
 * answers `GET /_/health` (the watchdog alone: the function would log every probe) and its process runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from '../../../shared/log.ts';
import { pinBuild, unpinBuild, type LocalImage } from '../images.ts';
import type { DeployedFunction } from './deployment.ts';
import { LineSplitter, type FunctionLogs } from './function-logs.ts';
import type { FunctionNetwork, NetworkAttachment } from './function-network.ts';
import { replicaEnvironment, watchdogPort } from './replica-env.ts';
import type { SecretStore } from './secret-store.ts';

/** What a replica needs from the provider. */
export interface ReplicaOptions {
  readonly deployed: DeployedFunction;
  readonly image: LocalImage;
  readonly watchdogPath: string;
  readonly network: FunctionNetwork;
  readonly secrets: SecretStore;
  readonly logs: FunctionLogs;
  /** This replica's folder: temp, secrets, and `replica.json` (pid and address, for operators and tests). */
  readonly runDir: string;
  readonly log: Logger;
  /** SIGKILL this long after SIGTERM when stopping. */
  readonly stopGraceMs: number;
}

/** Where a running replica answers. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const STABLE_AFTER_MS = 60_000;
const PROBE_INTERVAL_MS = 5000;
const STARTING_PROBE_INTERVAL_MS = 100;

export class Replica {
  #child: ChildProcess | undefined;
  #attachment: NetworkAttachment | undefined;
  #port = 8080;
  #ready = false;
  #stopping = false;
  #exited: Promise<void> = Promise.resolve();
  #restartTimer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #backoffMs = FIRST_BACKOFF_MS;
  /** Starts so far, the first included. */
  starts = 0;

  constructor(private readonly options: ReplicaOptions) {}

  get #name(): string {
    return this.options.deployed.deployment.service;
  }

  get #namespace(): string {
    return this.options.deployed.deployment.namespace;
  }

  /** Where the replica answers while its process runs and its watchdog is ready; undefined otherwise. */
  get endpoint(): Endpoint | undefined {
    if (!this.#ready || this.#child === undefined || this.#attachment === undefined) return undefined;
    return { host: this.#attachment.ip, port: this.#port };
  }

  /** Healthy replicas: 1 or 0. */
  get available(): number {
    return this.endpoint === undefined ? 0 : 1;
  }

  /** Starts the process; resolves once it runs (not when it is ready: `available` says that). */
  async start(): Promise<void> {
    this.#stopping = false;
    const { deployed, image, runDir } = this.options;
    const tmpDir = path.join(runDir, 'tmp');
    const secretsDir = path.join(runDir, 'secrets');
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    await this.options.secrets.mount(this.#namespace, deployed.deployment.secrets ?? [], secretsDir);
    const env = replicaEnvironment(image.config, deployed.deployment, { rootDir: image.rootDir, tmpDir, secretsDir });
    this.#port = watchdogPort(env);
    const attachment = await this.options.network.attach(this.#name);
    this.#attachment = attachment;
    this.starts += 1;
    const startedAt = Date.now();
    // `ip netns exec` execs the watchdog (same pid), in its own process group so that stop() reaches the function
    // process the watchdog forks too.
    const child = spawn('ip', ['netns', 'exec', attachment.netns, this.options.watchdogPath], {
      cwd: image.rootDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#child = child;
    const instance = this.#name;
    const capture = (stream: NodeJS.ReadableStream): LineSplitter => {
      const splitter = new LineSplitter((text) =>
        this.options.logs.append({ name: this.#name, namespace: this.#namespace, instance, timestamp: new Date().toISOString(), text }),
      );
      stream.on('data', (chunk: Buffer) => splitter.push(chunk));
      return splitter;
    };
    const splitters = [capture(child.stdout!), capture(child.stderr!)];
    this.#exited = new Promise((resolve) => {
      child.on('error', (error) => this.options.log.error({ function: this.#name, namespace: this.#namespace, err: error }, 'replica failed to start'));
      child.on('close', (code, signal) => {
        for (const splitter of splitters) splitter.flush();
        void this.#onExit(child, attachment, { code, signal, upMs: Date.now() - startedAt }).then(resolve);
      });
    });
    if (child.pid !== undefined) await pinBuild(image.rootDir, child.pid);
    await writeFile(
      path.join(runDir, 'replica.json'),
      `${JSON.stringify({ pid: child.pid, ip: attachment.ip, port: this.#port, netns: attachment.netns, started_at: new Date(startedAt).toISOString(), starts: this.starts })}\n`,
    );
    this.#probe(child, STARTING_PROBE_INTERVAL_MS);
  }

  /** SIGTERM to the replica's process group, SIGKILL after the grace period; no restart afterwards. */
  async stop(graceMs = this.options.stopGraceMs): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#probeTimer);
    const child = this.#child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid ?? 0, 'SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    } else {
      await this.#exited;
    }
  }

  async #onExit(child: ChildProcess, attachment: NetworkAttachment, exit: { code: number | null; signal: NodeJS.Signals | null; upMs: number }): Promise<void> {
    if (this.#child === child) {
      this.#child = undefined;
      this.#ready = false;
    }
    // Anything else of the group (the function the watchdog forked) goes with it.
    if (child.pid !== undefined) {
      signalGroup(child.pid, 'SIGKILL');
      await unpinBuild(this.options.image.rootDir, child.pid);
    }
    await this.options.network.detach(attachment);
    if (this.#attachment === attachment) this.#attachment = undefined;
    await rm(path.join(this.options.runDir, 'replica.json'), { force: true });
    if (this.#stopping) return;
    this.#backoffMs = exit.upMs >= STABLE_AFTER_MS ? FIRST_BACKOFF_MS : this.#backoffMs;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.options.log.warn({ function: this.#name, namespace: this.#namespace, code: exit.code, signal: exit.signal, restart_in_ms: delay }, 'replica exited; restarting');
    this.#restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      this.start().catch((error: unknown) => {
        this.options.log.error({ function: this.#name, namespace: this.#namespace, err: error }, 'replica restart failed');
      });
    }, delay);
  }

  /** Asks `/_/ready` quickly until the replica is ready, then `/_/health` every few seconds. */
  #probe(child: ChildProcess, intervalMs: number): void {
    this.#probeTimer = setTimeout(() => {
      if (this.#child !== child || this.#attachment === undefined) return;
      void probeStatus(this.#attachment.ip, this.#port, this.#ready ? '/_/health' : '/_/ready').then((status) => {
        if (this.#child !== child) return;
        const wasReady = this.#ready;
        this.#ready = status === 200;
        if (this.#ready && !wasReady) this.options.log.info({ function: this.#name, namespace: this.#namespace }, 'replica ready');
        this.#probe(child, this.#ready ? PROBE_INTERVAL_MS : STARTING_PROBE_INTERVAL_MS);
      });
    }, intervalMs);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** The status of a `GET` of the watchdog's probe path, or 0 when it does not answer. */
function probeStatus(host: string, port: number, probePath: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: probePath, agent: false, timeout: 2000 }, (answer) => {
      answer.resume();
      resolve(answer.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => request.destroy());
  });
}
