/**
 * The environment of a function replica: what a container of the image with this deployment would see. Pure.
 */
import path from 'node:path';
import type { ImageConfig } from '../images.ts';
import type { FunctionDeployment } from './deployment.ts';

/** Variables of the provider's own environment a replica inherits: only what finds programs and reads text. */
const INHERITED = ['PATH', 'LANG'];

/** Where a replica's own files are. */
export interface ReplicaPaths {
  /** The image's root: what the container's `WORKDIR` is. */
  readonly rootDir: string;
  /** Its temp folder (`TMPDIR`, where of-watchdog writes its lock file). */
  readonly tmpDir: string;
  /** Its secrets, one file per secret the deployment lists (`/var/openfaas/secrets` in a container). */
  readonly secretsDir: string;
}

/** A path of the image (`/home/app/migrations`) as a path of this machine (`<rootDir>/migrations`). */
function hostPath(value: string, workdir: string, rootDir: string): string {
  if (workdir === '/' || !value.startsWith('/')) return value;
  if (value === workdir) return rootDir;
  return value.startsWith(`${workdir}/`) ? path.join(rootDir, value.slice(workdir.length + 1)) : value;
}

/**
 * From lowest to highest precedence: `PATH` and `LANG` of the provider; `TZ=UTC` (a container has no time zone);
 * the image's `ENV` (paths below its `WORKDIR` mapped to the image folder); the deployment's `envVars`;
 * `fprocess` from `envProcess`; then what a container gets from its runtime rather than its image: `HOME`, `TMPDIR`
 * and `SECRETS_DIR` (the functions read `${SECRETS_DIR:-/var/openfaas/secrets}`).
 */
export function replicaEnvironment(
  image: ImageConfig,
  deployment: FunctionDeployment,
  paths: ReplicaPaths,
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = inherited[name];
    if (value !== undefined) env[name] = value;
  }
  env.TZ = 'UTC';
  for (const [name, value] of Object.entries(image.env)) env[name] = hostPath(value, image.workdir, paths.rootDir);
  Object.assign(env, deployment.envVars ?? {});
  if (deployment.envProcess) env.fprocess = deployment.envProcess;
  env.HOME = paths.tmpDir;
  env.TMPDIR = paths.tmpDir;
  env.SECRETS_DIR = paths.secretsDir;
  return env;
}

/** The port the replica's watchdog listens on (`port`, of-watchdog's default 8080). */
export function watchdogPort(env: Readonly<Record<string, string>>): number {
  const port = Number(env.port ?? '8080');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`port "${env.port}" is not a TCP port`);
  return port;
}
