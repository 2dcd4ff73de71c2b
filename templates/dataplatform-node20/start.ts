/**
 * A function image's entry (`node index.cjs`): runs the function's bundle (`function.cjs`, the handler with this
 * template's server) with the V8 code cache made for it (`function.cjs.cache`), then starts its server.
 *
 * Compiling a 1.5 MB bundle is most of a cold start; the cache holds the bytecode of everything its start runs, so V8
 * only checks and loads it. Node 20 has no code cache for ES modules nor for `require`, hence CommonJS compiled here
 * with `vm.Script`. The cache is made by `node index.cjs --write-code-cache` with the node binary that runs the
 * function (`npm run build` locally, the image's own node in templates/dataplatform-node20/Dockerfile): V8 refuses a
 * cache of another V8 version or other flags, and the bundle then compiles as it would without one.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** What the bundle exports (dev/build.ts writes its entry). */
interface FunctionBundle {
  start(): Promise<unknown>;
}

/** The argument that makes the cache instead of serving. */
export const WRITE_CODE_CACHE = '--write-code-cache';

// V8 checks a cache against the source's length only, so the cache starts with the source's hash: a bundle rebuilt
// without its cache compiles from scratch instead of running bytecode of other code.
const HASH_BYTES = 32;

function sourceHash(source: string): Buffer {
  return createHash('sha256').update(source).digest();
}

function readCache(file: string, hash: Buffer): Buffer | undefined {
  try {
    const cache = readFileSync(file);
    return cache.subarray(0, HASH_BYTES).equals(hash) ? cache.subarray(HASH_BYTES) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the bundle at `bundleUrl` (its top level: every module it holds), with its code cache when there is a valid one. */
function runBundle(bundleUrl: URL): { bundle: FunctionBundle; script: vm.Script; file: string; hash: Buffer } {
  const file = fileURLToPath(bundleUrl);
  const source = readFileSync(file, 'utf8');
  const hash = sourceHash(source);
  const cachedData = readCache(`${file}.cache`, hash);
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
    // A bundled driver's `import('os')` loads as it would in a module of its own.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as unknown, id: file, filename: file, loaded: false };
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return { bundle: module.exports as FunctionBundle, script, file, hash };
}

/**
 * Serves the function of the bundle beside this entry; with `--write-code-cache`, runs the bundle's top level only
 * and writes its code cache (what the start compiled, so also the functions the top level ran).
 */
export async function startFunction(bundleUrl: URL, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (!args.includes(WRITE_CODE_CACHE)) {
    // Node maps stacks (NODE_OPTIONS=--enable-source-maps) only in code its own loaders compiled: then the bundle is
    // required as a plain module, without the cache, as a start was before.
    const bundle = process.sourceMapsEnabled ? (createRequire(bundleUrl)(fileURLToPath(bundleUrl)) as FunctionBundle) : runBundle(bundleUrl).bundle;
    await bundle.start();
    return;
  }
  const { script, file, hash } = runBundle(bundleUrl);
  const cache = `${file}.cache`;
  // Written aside and renamed, so a start never reads half a cache.
  writeFileSync(`${cache}.tmp`, Buffer.concat([hash, script.createCachedData()]));
  renameSync(`${cache}.tmp`, cache);
  // The bundle's top level may have left handles open (a logger's stream); the cache is all this run was for.
  process.exit(0);
}
