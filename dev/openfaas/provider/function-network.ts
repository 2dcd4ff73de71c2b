/**
 * The function network, as faasd's CNI bridge makes it: each replica gets a network namespace of its own with one
 * interface on the bridge (`openfaas0`, 10.62.0.0/16), so every of-watchdog can listen on its fixed ports (8080, and
 * 8081 for metrics) as in a container. The bridge's address, 10.62.0.1, is this machine for the functions
 * (dev/services/openfaas.sh forwards it to the loopback services); `/etc/hosts` in the namespace names it `gateway`,
 * as faasd's hosts file does. Needs root and iproute2.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Names this provider gives its namespaces and interfaces, so leftovers of a crash can be found. */
export interface NetworkNames {
  /** Of the network namespaces (`ip netns list`). */
  readonly netnsPrefix: string;
  /** Of the host ends of the veth pairs (interface names have at most 15 characters). */
  readonly vethPrefix: string;
  /** The first slot (address) to give out; another user of the bridge (the bench) takes its own range. */
  readonly firstSlot: number;
}

const PROVIDER_NAMES: NetworkNames = { netnsPrefix: 'dp-fn-', vethPrefix: 'dpv', firstSlot: 2 };

/** One replica's place on the network. */
export interface NetworkAttachment {
  /** `ip netns exec <netns> …` runs a program there. */
  readonly netns: string;
  /** Its address on the bridge: where the provider reaches its watchdog. */
  readonly ip: string;
  readonly slot: number;
  /** The host end of its veth pair, on the bridge. */
  readonly veth: string;
}

/** The address of a slot in the /16: 10.62.0.2, …, 10.62.0.254, 10.62.1.1, … (never .0 or .255). */
export function slotAddress(hostIp: string, slot: number): string {
  const [a, b] = hostIp.split('.');
  return `${a}.${b}.${Math.floor(slot / 256)}.${slot % 256}`;
}

/**
 * The interface address of a slot, derived from its IP as Docker derives its containers' (02:42 + the IPv4 bytes): a
 * replica started again in the same slot keeps the address the host's ARP cache knows, so calls reach it at once
 * instead of after the stale entry expires (~30 s).
 */
export function slotMac(ip: string): string {
  return ['02', '42', ...ip.split('.').map((byte) => Number(byte).toString(16).padStart(2, '0'))].join(':');
}

function usableSlot(slot: number): boolean {
  const low = slot % 256;
  return low !== 0 && low !== 255 && slot > 1;
}

export class FunctionNetwork {
  readonly #used = new Set<number>();

  constructor(
    private readonly bridge: string,
    private readonly hostIp: string,
    private readonly names: NetworkNames = PROVIDER_NAMES,
  ) {}

  /** Checks that the bridge exists (dev/services.sh creates it) and removes namespaces an earlier run left. */
  async prepare(): Promise<void> {
    try {
      await run('ip', ['link', 'show', this.bridge]);
    } catch {
      throw new Error(`the function bridge ${this.bridge} does not exist: start the stack with "npm run services -- up"`);
    }
    const { stdout } = await run('ip', ['netns', 'list']);
    for (const line of stdout.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      if (name.startsWith(this.names.netnsPrefix)) await this.#remove(name);
    }
  }

  /** Creates a namespace on the bridge for a replica of `hostname`. */
  async attach(hostname: string): Promise<NetworkAttachment> {
    let slot = this.names.firstSlot;
    while (this.#used.has(slot) || !usableSlot(slot)) slot += 1;
    this.#used.add(slot);
    const netns = `${this.names.netnsPrefix}${slot}`;
    const veth = `${this.names.vethPrefix}${slot}`;
    const ip = slotAddress(this.hostIp, slot);
    try {
      await this.#remove(netns, veth);
      await run('ip', ['netns', 'add', netns]);
      await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', slotMac(ip), 'netns', netns]);
      await run('ip', ['link', 'set', veth, 'master', this.bridge, 'up']);
      await run('ip', ['-n', netns, 'addr', 'add', `${ip}/16`, 'dev', 'eth0']);
      await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', netns, 'route', 'add', 'default', 'via', this.hostIp]);
      // `ip netns exec` mounts /etc/netns/<netns>/hosts over /etc/hosts: faasd's names for the host.
      const etc = path.join('/etc/netns', netns);
      await mkdir(etc, { recursive: true });
      await writeFile(
        path.join(etc, 'hosts'),
        `127.0.0.1 localhost\n${this.hostIp} gateway nats prometheus\n${ip} ${hostname}\n`,
      );
      return { netns, ip, slot, veth };
    } catch (error) {
      await this.#remove(netns, veth);
      this.#used.delete(slot);
      throw new Error(`cannot create the network namespace of ${hostname}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Removes a replica's namespace and its veth pair. */
  async detach(attachment: NetworkAttachment): Promise<void> {
    await this.#remove(attachment.netns, attachment.veth);
    this.#used.delete(attachment.slot);
  }

  async #remove(netns: string, veth?: string): Promise<void> {
    // The pair goes with the namespace, but the kernel cleans a namespace up later: a slot used again at once would
    // meet its old interface. Deleting one end removes both now.
    if (veth !== undefined) await run('ip', ['link', 'del', veth]).catch(() => undefined);
    await run('ip', ['netns', 'del', netns]).catch(() => undefined);
    await rm(path.join('/etc/netns', netns), { recursive: true, force: true });
  }
}
