/**
 * Local function images. There is no Docker engine here, so an "image" is a folder in the image store: what the
 * project template's Dockerfile puts into `/home/app` (the entry, the bundle and its code cache, and the migrations), and the
 * image config the Dockerfile's final stage sets (`ENV`, `WORKDIR`), read from that Dockerfile itself. `npm run build`
 * writes one per function of stack.yml under the image name faas-cli deploys (`localhost:5000/dataplatform-bronze:latest`);
 * the provider runs a deployment's image from here, as faasd pulls it from a registry.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { cachedVenv } from '../python-venv.ts';

/** What an image folder's `image.json` holds: the Dockerfile's final-stage config. */
export const ImageConfig = z.object({
  ref: z.string(),
  created: z.string(),
  /** The container's working directory (`WORKDIR`): `rootfs/` stands for it. */
  workdir: z.string(),
  env: z.record(z.string(), z.string()),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/** An image in the store, ready to run. */
export interface LocalImage {
  readonly config: ImageConfig;
  /** The folder that is the container's `WORKDIR`. */
  readonly rootDir: string;
}

/** A reference without a tag means `:latest`, as for docker. */
export function normalizeRef(ref: string): string {
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || lastSegment.includes('@') ? ref : `${ref}:latest`;
}

/** The store folder of an image reference: readable, and unique by a hash of the reference. */
export function imageFolder(imagesDir: string, ref: string): string {
  const normalized = normalizeRef(ref);
  const readable = normalized.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(normalized).digest('hex').slice(0, 10);
  return path.join(imagesDir, `${readable}-${hash}`);
}

/**
 * The final stage's `ENV` and `WORKDIR` of a Dockerfile (the template's image config). Supports the forms the
 * template uses: `ENV key="value"`, `ENV key=value`, `ENV key value`; line continuations are joined.
 */
export function dockerfileConfig(text: string): { env: Record<string, string>; workdir: string } {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim());
  const lastFrom = lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  const env: Record<string, string> = {};
  let workdir = '/';
  for (const line of lines.slice(lastFrom + 1)) {
    const instruction = /^(ENV|WORKDIR)\s+(.*)$/i.exec(line);
    if (!instruction) continue;
    const [, keyword = '', rest = ''] = instruction;
    if (keyword.toUpperCase() === 'WORKDIR') {
      workdir = path.posix.resolve(workdir, rest.trim());
      continue;
    }
    const pairs = [...rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)];
    if (pairs.length === 0) {
      const [key, ...value] = rest.split(/\s+/);
      if (key) env[key] = value.join(' ');
      continue;
    }
    for (const [, key = '', raw = ''] of pairs) env[key] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return { env, workdir };
}

/**
 * The files of a bundle folder that the template's Dockerfile puts into the image; the code cache is the one
 * `npm run build` made with the local node, which runs the local replicas.
 */
const IMAGE_FILES = ['index.cjs', 'function.cjs', 'function.cjs.map', 'function.cjs.cache', 'migrations'];
/** Without these a function cannot start: the entry and the bundle it runs. */
const REQUIRED_IMAGE_FILES = ['index.cjs', 'function.cjs'];

/**
 * A Python function's image root (templates/dataplatform-python3/Dockerfile): the staged folder as it is (the server,
 * the function's modules, requirements.txt), and `venv`, which the Dockerfile makes with `pip install -r
 * requirements.txt`, linked to the environment the services script built from that file.
 */
async function writePythonRoot(bundleDir: string, rootDir: string): Promise<void> {
  await cp(bundleDir, rootDir, { recursive: true });
  await symlink(await cachedVenv(path.join(bundleDir, 'requirements.txt')), path.join(rootDir, 'venv'));
}

/** Builds of one reference kept in the store: a replica started from an older build keeps its files meanwhile. */
const KEPT_BUILDS = 3;

/**
 * Writes an image: the bundle folder's image files into `rootfs/`, and `image.json` with the template's config, as a
 * new build of the reference; `current` then points at it (a rebuilt tag). Older builds stay for replicas started
 * from them, up to a few.
 */
export async function writeImage(options: {
  readonly imagesDir: string;
  readonly ref: string;
  readonly bundleDir: string;
  readonly dockerfile: string;
}): Promise<string> {
  const folder = imageFolder(options.imagesDir, options.ref);
  const build = `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const buildDir = path.join(folder, build);
  const { env, workdir } = dockerfileConfig(await readFile(options.dockerfile, 'utf8'));
  await mkdir(path.join(buildDir, 'rootfs'), { recursive: true });
  if (existsSync(path.join(options.bundleDir, 'index.py'))) {
    await writePythonRoot(options.bundleDir, path.join(buildDir, 'rootfs'));
  } else {
    for (const name of IMAGE_FILES) {
      await cp(path.join(options.bundleDir, name), path.join(buildDir, 'rootfs', name), { recursive: true }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || REQUIRED_IMAGE_FILES.includes(name)) throw error;
      });
    }
  }
  const config: ImageConfig = { ref: normalizeRef(options.ref), created: new Date().toISOString(), workdir, env };
  await writeFile(path.join(buildDir, 'image.json'), `${JSON.stringify(config, null, 2)}\n`);
  const link = path.join(folder, `current.tmp-${build}`);
  await symlink(build, link);
  await rename(link, path.join(folder, 'current'));
  const builds = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const old of builds.slice(0, Math.max(0, builds.length - KEPT_BUILDS))) {
    if (old !== build && !(await isPinned(path.join(folder, old)))) await rm(path.join(folder, old), { recursive: true, force: true });
  }
  return buildDir;
}

/**
 * Marks a build as used by a running process (a replica's watchdog), so pruning keeps its files while it runs, as
 * containerd keeps an image a container uses. `rootDir` is the `rootDir` of `readImage`.
 */
export async function pinBuild(rootDir: string, pid: number): Promise<void> {
  const pins = path.join(path.dirname(rootDir), 'pins');
  await mkdir(pins, { recursive: true });
  await writeFile(path.join(pins, String(pid)), '');
}

/** Ends a pin of `pinBuild` (the process exited). */
export async function unpinBuild(rootDir: string, pid: number): Promise<void> {
  await rm(path.join(path.dirname(rootDir), 'pins', String(pid)), { force: true });
}

/** Whether a process that pinned the build still runs (a pin left by a killed provider does not count). */
async function isPinned(buildDir: string): Promise<boolean> {
  const pids = await readdir(path.join(buildDir, 'pins')).catch(() => [] as string[]);
  return pids.some((pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  });
}

/** Removes an image with all its builds (tests remove theirs). */
export async function removeImage(imagesDir: string, ref: string): Promise<void> {
  await rm(imageFolder(imagesDir, ref), { recursive: true, force: true });
}

/** Thrown when a deployment names an image the store does not hold (faasd: the pull fails). */
export class ImageNotFoundError extends Error {}

/** Reads an image of the store. */
export async function readImage(imagesDir: string, ref: string): Promise<LocalImage> {
  let buildDir: string;
  let text: string;
  try {
    // The build `current` names now: a replica keeps running from it when the tag is rebuilt.
    buildDir = await realpath(path.join(imageFolder(imagesDir, ref), 'current'));
    text = await readFile(path.join(buildDir, 'image.json'), 'utf8');
  } catch {
    throw new ImageNotFoundError(`unable to pull image ${normalizeRef(ref)}: not in the local image store ${imagesDir} (npm run build writes the platform's images)`);
  }
  return { config: ImageConfig.parse(JSON.parse(text)), rootDir: path.join(buildDir, 'rootfs') };
}
