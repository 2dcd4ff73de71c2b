/**
 * The provider's work behind the faas-provider API: namespaces, deployments and their replicas, secrets and logs,
 * with the rules faasd CE applies (a deployment's secrets and image must exist; at most 15 functions a namespace;
 * an update replaces the replica, as faasd removes and creates the container). Deployments and namespaces are saved
 * on every change and started again when the provider starts, so they survive a provider restart.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../shared/log.ts';
import { ImageNotFoundError, readImage } from '../images.ts';
import {
  DEFAULT_NAMESPACE,
  functionStatus,
  MAX_FUNCTIONS_PER_NAMESPACE,
  type DeployedFunction,
  type FunctionDeployment,
  type FunctionStatus,
} from './deployment.ts';
import { FunctionLogs } from './function-logs.ts';
import { FunctionNetwork } from './function-network.ts';
import { loadState, saveState, type NamespaceState } from './provider-state.ts';
import { Replica, type Endpoint } from './replica.ts';
import { SecretStore } from './secret-store.ts';

/** A request the provider refuses; `status` is the HTTP status to answer with, `message` the plain-text body. */
export class ProviderError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ProviderOptions {
  /** Deployments, secrets, logs and replica folders. */
  readonly stateDir: string;
  /** The local image store (dev/openfaas/images.ts). */
  readonly imagesDir: string;
  readonly watchdogPath: string;
  readonly bridge: string;
  readonly hostIp: string;
  readonly log: Logger;
  readonly stopGraceMs?: number;
}

interface Running {
  deployed: DeployedFunction;
  replica: Replica | undefined;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export class Provider {
  readonly logs: FunctionLogs;
  readonly secrets: SecretStore;
  readonly #network: FunctionNetwork;
  readonly #functions = new Map<string, Running>();
  #namespaces: Record<string, NamespaceState> = {};
  // Changes run one after the other: two deploys of one function must not start two replicas.
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: ProviderOptions) {
    this.logs = new FunctionLogs(path.join(options.stateDir, 'logs'));
    this.secrets = new SecretStore(path.join(options.stateDir, 'secrets'));
    this.#network = new FunctionNetwork(options.bridge, options.hostIp);
  }

  get #stateFile(): string {
    return path.join(this.options.stateDir, 'state.json');
  }

  /** Loads the saved state and starts every deployment that wants a replica. */
  static async start(options: ProviderOptions): Promise<Provider> {
    const provider = new Provider(options);
    await mkdir(options.stateDir, { recursive: true });
    // A provider that was killed left its replicas running (each in a process group of its own): end them first.
    await stopOrphanReplicas(path.join(options.stateDir, 'replicas'), options.log);
    await provider.#network.prepare();
    await rm(path.join(options.stateDir, 'replicas'), { recursive: true, force: true });
    const state = await loadState(provider.#stateFile);
    provider.#namespaces = state.namespaces;
    for (const deployed of state.functions) {
      provider.#functions.set(key(deployed.deployment.namespace, deployed.deployment.service), { deployed, replica: undefined });
    }
    for (const running of provider.#functions.values()) {
      if (running.deployed.replicas === 0) continue;
      await provider.#startReplica(running).catch((error: unknown) => {
        options.log.error({ function: running.deployed.deployment.service, namespace: running.deployed.deployment.namespace, err: error }, 'cannot start a saved deployment');
      });
    }
    options.log.info({ functions: provider.#functions.size }, 'provider started');
    return provider;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #save(): Promise<void> {
    await saveState(this.#stateFile, {
      namespaces: this.#namespaces,
      functions: [...this.#functions.values()].map((running) => running.deployed),
    });
  }

  #requireNamespace(namespace: string): void {
    if (this.#namespaces[namespace] === undefined) {
      throw new ProviderError(400, `namespace ${namespace} not found: create it first (faas-cli namespace create ${namespace})`);
    }
  }

  async #startReplica(running: Running): Promise<void> {
    const { deployment } = running.deployed;
    let image;
    try {
      image = await readImage(this.options.imagesDir, deployment.image);
    } catch (error) {
      if (error instanceof ImageNotFoundError) throw new ProviderError(400, error.message);
      throw error;
    }
    await this.secrets.check(deployment.namespace, deployment.secrets ?? []);
    const replica = new Replica({
      deployed: running.deployed,
      image,
      watchdogPath: this.options.watchdogPath,
      network: this.#network,
      secrets: this.secrets,
      logs: this.logs,
      runDir: path.join(this.options.stateDir, 'replicas', deployment.namespace, deployment.service),
      log: this.options.log,
      stopGraceMs: this.options.stopGraceMs ?? 5000,
    });
    running.replica = replica;
    await replica.start();
  }

  async #stopReplica(running: Running): Promise<void> {
    const replica = running.replica;
    running.replica = undefined;
    await replica?.stop();
  }

  /** `POST /system/functions` (`update` false) and `PUT /system/functions` (`update` true). */
  deploy(request: FunctionDeployment & { readonly namespace: string }, update: boolean): Promise<void> {
    return this.#serial(async () => {
      const { namespace } = request;
      this.#requireNamespace(namespace);
      const id = key(namespace, request.service);
      const existing = this.#functions.get(id);
      if (update && existing === undefined) throw new ProviderError(404, `function ${request.service} not found in namespace ${namespace}`);
      if (!update && existing !== undefined) throw new ProviderError(409, `function ${request.service} already exists in namespace ${namespace}`);
      if (existing === undefined) {
        const count = [...this.#functions.values()].filter((running) => running.deployed.deployment.namespace === namespace).length;
        if (count + 1 > MAX_FUNCTIONS_PER_NAMESPACE) {
          throw new ProviderError(400, `the OpenFaaS CE EULA allows ${MAX_FUNCTIONS_PER_NAMESPACE}/${count + 1} function(s), upgrade to faasd Pro to continue`);
        }
      }
      const deployed: DeployedFunction = {
        deployment: { ...request, namespace },
        replicas: existing?.deployed.replicas ?? 1,
        createdAt: new Date().toISOString(),
      };
      // Check what would make the start fail before the old replica goes.
      await readImage(this.options.imagesDir, request.image).catch((error: unknown) => {
        throw error instanceof ImageNotFoundError ? new ProviderError(400, error.message) : error;
      });
      await this.secrets.check(namespace, request.secrets ?? []);
      if (existing !== undefined) await this.#stopReplica(existing);
      const running: Running = { deployed, replica: undefined };
      this.#functions.set(id, running);
      await this.#save();
      if (deployed.replicas > 0) await this.#startReplica(running);
      this.options.log.info({ function: request.service, namespace, image: request.image, update }, 'deployed');
    });
  }

  /** `DELETE /system/functions`. */
  remove(name: string, namespace: string): Promise<void> {
    return this.#serial(async () => {
      const running = this.#functions.get(key(namespace, name));
      if (running === undefined) throw new ProviderError(404, `function ${name} not found in namespace ${namespace}`);
      this.#functions.delete(key(namespace, name));
      await this.#save();
      await this.#stopReplica(running);
      this.options.log.info({ function: name, namespace }, 'removed');
    });
  }

  /** `POST /system/scale-function/NAME`: 0 stops the replica, more runs one (faasd runs one replica). */
  scale(name: string, namespace: string, replicas: number): Promise<void> {
    return this.#serial(async () => {
      const running = this.#functions.get(key(namespace, name));
      if (running === undefined) throw new ProviderError(404, `function ${name} not found in namespace ${namespace}`);
      running.deployed = { ...running.deployed, replicas };
      await this.#save();
      if (replicas === 0) await this.#stopReplica(running);
      else if (running.replica === undefined) await this.#startReplica(running);
    });
  }

  list(namespace: string): FunctionStatus[] {
    return [...this.#functions.values()]
      .filter((running) => running.deployed.deployment.namespace === namespace)
      .map((running) => functionStatus(running.deployed, running.replica?.available ?? 0));
  }

  status(name: string, namespace: string): FunctionStatus | undefined {
    const running = this.#functions.get(key(namespace, name));
    return running === undefined ? undefined : functionStatus(running.deployed, running.replica?.available ?? 0);
  }

  /** Where a function answers now, or undefined when it has no ready replica. */
  endpoint(name: string, namespace: string): Endpoint | undefined {
    return this.#functions.get(key(namespace, name))?.replica?.endpoint;
  }

  hasNamespace(namespace: string): boolean {
    return this.#namespaces[namespace] !== undefined;
  }

  namespaceNames(): string[] {
    return Object.keys(this.#namespaces).sort();
  }

  namespace(name: string): (NamespaceState & { name: string }) | undefined {
    const found = this.#namespaces[name];
    return found === undefined ? undefined : { name, ...found };
  }

  /** `POST` (`replace` false) and `PUT` (`replace` true) of `/system/namespace/NAME`. */
  saveNamespace(name: string, state: NamespaceState, replace: boolean): Promise<void> {
    return this.#serial(async () => {
      const exists = this.#namespaces[name] !== undefined;
      if (!replace && exists) throw new ProviderError(409, `namespace ${name} already exists`);
      if (replace && !exists) throw new ProviderError(404, `namespace ${name} not found`);
      this.#namespaces = { ...this.#namespaces, [name]: state };
      await this.#save();
    });
  }

  /** `DELETE /system/namespace/NAME`: its functions and secrets go with it (as a Kubernetes namespace's do). */
  removeNamespace(name: string): Promise<void> {
    return this.#serial(async () => {
      if (name === DEFAULT_NAMESPACE) throw new ProviderError(400, `the namespace ${DEFAULT_NAMESPACE} cannot be removed`);
      if (this.#namespaces[name] === undefined) throw new ProviderError(404, `namespace ${name} not found`);
      const functions = [...this.#functions.entries()].filter(([, running]) => running.deployed.deployment.namespace === name);
      for (const [id] of functions) this.#functions.delete(id);
      const { [name]: _removed, ...rest } = this.#namespaces;
      this.#namespaces = rest;
      await this.#save();
      await Promise.all(functions.map(([, running]) => this.#stopReplica(running)));
      await this.secrets.removeNamespace(name);
    });
  }

  /** Stops every replica (their network namespaces go too); the saved state stays for the next start. */
  async stop(): Promise<void> {
    await Promise.all([...this.#functions.values()].map((running) => running.replica?.stop(1000)));
    this.logs.close();
  }
}

/**
 * Kills the process groups of the replicas an earlier provider process recorded (`replicas/<ns>/<name>/replica.json`)
 * and that still run the watchdog: after a crash they would hold their network namespaces and answer no one.
 */
async function stopOrphanReplicas(replicasDir: string, log: Logger): Promise<void> {
  const files = await readdir(replicasDir, { recursive: true }).catch(() => [] as string[]);
  for (const file of files.filter((name) => name.endsWith('replica.json'))) {
    const pid = Number((JSON.parse(await readFile(path.join(replicasDir, file), 'utf8').catch(() => '{}')) as { pid?: unknown }).pid);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!command.includes('of-watchdog')) continue;
    try {
      process.kill(-pid, 'SIGKILL');
      log.warn({ pid, replica: path.dirname(file) }, 'stopped a replica an earlier provider left running');
    } catch {
      // gone meanwhile
    }
  }
}
