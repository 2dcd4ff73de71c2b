/**
 * `npm run build [-- NAME…]`: bundles every function (`functions/<name>/handler.ts`) with the template's server
 * into one self-contained CommonJS file, `build/functions/<name>/function.cjs`, beside the entry that runs it,
 * `index.cjs` (templates/dataplatform-node20/start.ts), and the V8 code cache of its start, `function.cjs.cache`, made
 * with this node. That folder is what the template's Dockerfile copies (stack.yml's `handler:` points at it); the
 * image makes its own cache with its own node. Then it writes each stack.yml function's local image
 * (dev/openfaas/images.ts), which the local provider runs when faas-cli deploys the stack.
 */
import { build, type Metafile } from 'esbuild';
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { WRITE_CODE_CACHE } from '../templates/dataplatform-node20/start.ts';
import { writeImage } from './openfaas/images.ts';
import { loadStack } from './openfaas/stack-file.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_PATH = join(ROOT, 'templates/dataplatform-node20/server.ts');
/** The entry of every Node function (`index.cjs`): runs the bundle with its code cache. */
const START_PATH = join(ROOT, 'templates/dataplatform-node20/start.ts');
/** The entry's file name: CommonJS, since Node's ES module loader would add about 5 ms of CPU to every start. */
export const ENTRY_FILE = 'index.cjs';
/** The bundle's file name beside the entry. */
export const BUNDLE_FILE = 'function.cjs';
/** The Python template: its server and runtime modules go beside each Python function's own (templates/dataplatform-python3). */
const PYTHON_TEMPLATE = join(ROOT, 'templates/dataplatform-python3');

/** Where `npm run build` writes: one folder per function. */
export const BUILD_DIR = join(ROOT, 'build/functions');

/** The local image store the provider runs deployments from (dev/services/openfaas.sh gives it the same folder). */
export const IMAGES_DIR = process.env.OPENFAAS_IMAGES_DIR ?? join(ROOT, '.local/openfaas/images');

/**
 * Optional dependencies that mongodb and pg `require()` inside try/catch (compression, Kerberos, client-side
 * encryption, AWS/GCP auth, SOCKS, the native pg binding). None is installed or used here; left external, the
 * bundle keeps the guarded `require` and the driver falls back exactly as it does unbundled.
 */
export const OPTIONAL_DEPENDENCIES: readonly string[] = [
  'pg-native',
  'kerberos',
  'snappy',
  '@mongodb-js/zstd',
  'mongodb-client-encryption',
  'aws4',
  'socks',
  'gcp-metadata',
  '@aws-sdk/credential-providers',
  '@aws-sdk/credential-provider-node',
  'bson-ext',
  'pino-pretty',
];

/**
 * Packages replaced by a project module in every bundle (what the package is → the module that stands in), each for
 * what it costs at start; the module says why it is enough.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  'whatwg-url': join(ROOT, 'dev/stand-ins/whatwg-url.ts'),
};

/**
 * Files inside packages replaced by a project module in every bundle (path below the project root → the module that
 * stands in), for files an alias cannot reach: they are required by relative path. Each module says why.
 */
export const REPLACED_FILES: Readonly<Record<string, string>> = {
  'node_modules/pg/lib/stream.js': join(ROOT, 'dev/stand-ins/pg-stream.ts'),
};

/**
 * Scripts a function serves to browsers, each bundled for the browser with its npm dependencies and baked into the
 * function bundles as the string `process.env.<NAME>` (a function image holds only its bundle): the dashboard's charts
 * (Chart.js). Unbundled code (tests, tsx) sees the variable unset.
 */
export const BROWSER_SCRIPTS: Readonly<Record<string, string>> = {
  DATAPLATFORM_DASHBOARD_SCRIPT: join(ROOT, 'shared/layers/dashboard/client/dashboard-charts.ts'),
};

/** `define` entries for the browser scripts: each bundled (minified, one IIFE) and given as a JSON string. */
async function browserScriptDefines(): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(BROWSER_SCRIPTS).map(async ([name, entry]) => {
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'iife',
        target: 'es2020',
        minify: true,
        legalComments: 'none',
        logLevel: 'warning',
      });
      return [`process.env.${name}`, JSON.stringify(result.outputFiles[0]?.text ?? '')] as const;
    }),
  );
  return Object.fromEntries(entries);
}

// CommonJS output has no `import.meta`; the modules that resolve files from their own URL get the bundle's.
const IMPORT_META_URL = '__dpImportMetaUrl';
const CJS_BANNER = `var ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;`;

/** One function to bundle. */
export interface FunctionSource {
  readonly name: string;
  readonly handlerPath: string;
}

/** What one bundle came to. */
export interface BundleResult {
  readonly name: string;
  /** The file node runs (`index.cjs`, or `index.py` for a Python function). */
  readonly file: string;
  /** The size of the code: the bundle (`function.cjs`), or `index.py`. */
  readonly bytes: number;
}

/** Options of `bundleFunction`; the defaults are what `npm run build` uses. */
export interface BundleOptions {
  /** Baked into `process.env.DATAPLATFORM_VERSION`. Default: package.json's version. */
  readonly version?: string;
  /** Also write esbuild's metafile as `meta.json` (for bundle analysis). Default true. */
  readonly writeMetafile?: boolean;
}

/**
 * Bundles one handler (a module exporting `handler: Handler`) with the template server into
 * `<outDir>/function.cjs` (+ `function.cjs.map`, its code cache `function.cjs.cache`, the entry `index.cjs`,
 * `meta.json`).
 * Exported so tests can bundle fixture handlers exactly as functions are bundled.
 */
export async function bundleFunction(
  name: string,
  handlerPath: string,
  outDir: string,
  options: BundleOptions = {},
): Promise<BundleResult> {
  const [result] = await bundleInto(outDir, [{ name, handlerPath, out: 'function' }], options);
  return result as BundleResult;
}

/**
 * Bundles several functions into `<outRoot>/<name>/index.cjs` with ONE esbuild run: each bundle stays
 * self-contained (no code splitting), but shared modules (mongodb, pg, zod, shared/) are parsed once, which
 * keeps a dozen functions well under the time of a dozen separate builds.
 */
export async function bundleFunctions(
  sources: readonly FunctionSource[],
  outRoot: string,
  options: BundleOptions = {},
): Promise<BundleResult[]> {
  const entries = sources.map((source) => ({ ...source, out: `${source.name}/function` }));
  // A folder holds only this build's files: an image copies all of it, so no file of an older layout rides along.
  await Promise.all(sources.map((source) => rm(join(outRoot, source.name), { recursive: true, force: true })));
  return bundleInto(outRoot, entries, options);
}

interface Entry extends FunctionSource {
  /** Output path below the build's outdir, without extension. */
  readonly out: string;
}

const ENTRY_NAMESPACE = 'dataplatform-entry';

async function bundleInto(outdir: string, entries: readonly Entry[], options: BundleOptions): Promise<BundleResult[]> {
  if (entries.length === 0) return [];
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const result = await build({
    // Virtual entries: `<name>` resolves to a generated module that serves that function's handler.
    entryPoints: entries.map((entry) => ({ in: `${ENTRY_NAMESPACE}:${entry.name}`, out: entry.out })),
    plugins: [
      {
        name: ENTRY_NAMESPACE,
        setup(plugin) {
          plugin.onResolve({ filter: new RegExp(`^${ENTRY_NAMESPACE}:`) }, (args) => ({
            path: args.path.slice(ENTRY_NAMESPACE.length + 1),
            namespace: ENTRY_NAMESPACE,
          }));
          plugin.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, async (args) => {
            const entry = byName.get(args.path);
            if (entry === undefined) return { errors: [{ text: `unknown function ${args.path}` }] };
            return { contents: await entryModule(entry), loader: 'ts', resolveDir: ROOT };
          });
        },
      },
      {
        name: 'dataplatform-replaced-files',
        setup(plugin) {
          const replaced = new Map(Object.entries(REPLACED_FILES).map(([file, standIn]) => [join(ROOT, file), standIn]));
          plugin.onResolve({ filter: /^\.\.?\// }, (args) => {
            const target = resolve(args.resolveDir, args.path);
            const standIn = replaced.get(target) ?? replaced.get(`${target}.js`);
            return standIn === undefined ? undefined : { path: standIn };
          });
        },
      },
    ],
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    splitting: false,
    platform: 'node',
    target: 'node20',
    // CommonJS, so that start.ts can compile it with a code cache (Node 20 has none for ES modules).
    format: 'cjs',
    minify: true,
    // Readable function names in logged stacks; a few kB is worth it.
    keepNames: true,
    // A linked map costs nothing at start (node reads it only with --enable-source-maps) and maps stacks
    // back to TypeScript when wanted. Sources are left out: the map only needs positions.
    sourcemap: 'linked',
    sourcesContent: false,
    banner: { js: CJS_BANNER },
    external: [...OPTIONAL_DEPENDENCIES],
    alias: { ...ALIASES },
    define: {
      'import.meta.url': IMPORT_META_URL,
      'process.env.DATAPLATFORM_VERSION': JSON.stringify(options.version ?? (await platformVersion())),
      ...(await browserScriptDefines()),
    },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const start = await startModule();
  const results = await Promise.all(
    entries.map(async (entry) => {
      const bundle = join(outdir, `${entry.out}.cjs`);
      const dir = dirname(bundle);
      const file = join(dir, ENTRY_FILE);
      await writeFile(file, start);
      // The audit migrations travel with every bundle: a deployed image has no checkout to read them from.
      await cp(join(ROOT, 'migrations'), join(dir, 'migrations'), { recursive: true });
      if (options.writeMetafile ?? true) {
        await writeFile(join(dir, 'meta.json'), JSON.stringify(metafileOf(result.metafile, bundle)));
      }
      const { size } = await stat(bundle);
      return { name: entry.name, file, bytes: size };
    }),
  );
  // One at a time: each runs a whole bundle's start, and a function's folder is not ready before its cache is.
  for (const bundle of results) await writeCodeCache(bundle.file);
  return results;
}

/** The entry every bundle folder gets as `index.cjs`: start.ts, which runs `./function.cjs`. */
async function startModule(): Promise<string> {
  const result = await build({
    stdin: {
      contents: [
        `import { join } from 'node:path';`,
        `import { pathToFileURL } from 'node:url';`,
        `import { startFunction } from ${JSON.stringify(START_PATH)};`,
        // A start that fails ends the process, as an uncaught error in the bundle's top level would.
        `startFunction(pathToFileURL(join(__dirname, ${JSON.stringify(BUNDLE_FILE)}))).catch((error: unknown) => {`,
        `  console.error(error);`,
        `  process.exit(1);`,
        `});`,
      ].join('\n'),
      loader: 'ts',
      resolveDir: ROOT,
    },
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    legalComments: 'none',
  });
  return result.outputFiles[0]?.text ?? '';
}

/**
 * Makes the bundle's code cache by running its start with this node (`node index.cjs --write-code-cache`), the
 * binary the local provider runs functions with; a start that fails here would fail in the function too.
 */
async function writeCodeCache(entry: string): Promise<void> {
  await promisify(execFile)(process.execPath, [entry, WRITE_CODE_CACHE], { cwd: dirname(entry), env: { ...process.env, LOG_LEVEL: 'silent' } });
}

/**
 * The bundle's entry: exports `start`, which serves the handler module's `handler` (and its `access` when it declares
 * one) with the template's server; start.ts calls it once the bundle has run.
 */
async function entryModule(entry: Entry): Promise<string> {
  const declaresAccess = /^export const access\b/m.test(await readFile(entry.handlerPath, 'utf8'));
  const handlerModule = JSON.stringify(resolve(entry.handlerPath));
  return [
    declaresAccess ? `import { access, handler } from ${handlerModule};` : `import { handler } from ${handlerModule};`,
    `import { serve } from ${JSON.stringify(SERVER_PATH)};`,
    `export const start = () => serve(handler, { name: ${JSON.stringify(entry.name)}${declaresAccess ? ', access' : ''} });`,
  ].join('\n');
}

/** The part of a multi-entry metafile that concerns one bundle (its output, map and inputs). */
function metafileOf(metafile: Metafile, file: string): Metafile {
  const outputs = Object.fromEntries(
    Object.entries(metafile.outputs).filter(([path]) => resolve(path) === file || resolve(path) === `${file}.map`),
  );
  const used = new Set(Object.values(outputs).flatMap((output) => Object.keys(output.inputs)));
  const inputs = Object.fromEntries(Object.entries(metafile.inputs).filter(([path]) => used.has(path)));
  return { inputs, outputs };
}

/** The functions of the platform: every folder of `functions/` that has a `handler.ts`, by name. */
export async function findFunctions(functionsDir = join(ROOT, 'functions')): Promise<FunctionSource[]> {
  const entries = await readdir(functionsDir, { withFileTypes: true });
  const found: FunctionSource[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const handlerPath = join(functionsDir, entry.name, 'handler.ts');
    if (await exists(handlerPath)) found.push({ name: entry.name, handlerPath });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The Python functions: every folder of `functions/` that has a `handler.py` (built with templates/dataplatform-python3). */
export async function findPythonFunctions(functionsDir = join(ROOT, 'functions')): Promise<FunctionSource[]> {
  const entries = await readdir(functionsDir, { withFileTypes: true });
  const found: FunctionSource[] = [];
  for (const entry of entries) {
    const handlerPath = join(functionsDir, entry.name, 'handler.py');
    if (entry.isDirectory() && (await exists(handlerPath))) found.push({ name: entry.name, handlerPath });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Stages each Python function as its image's build context holds it: the template's server (`index.py`) and runtime
 * module beside the function's own modules and `requirements.txt`, in `<outRoot>/<name>/`. Nothing is compiled; the
 * image's `pip install` is the services script's cached environment (dev/python-venv.ts). Tests are left out.
 */
export async function stagePythonFunctions(sources: readonly FunctionSource[], outRoot: string): Promise<BundleResult[]> {
  return Promise.all(
    sources.map(async (source) => {
      const outDir = join(outRoot, source.name);
      await rm(outDir, { recursive: true, force: true });
      await cp(dirname(source.handlerPath), outDir, {
        recursive: true,
        filter: (file) => !/(^|\/)(tests|__pycache__)(\/|$)/.test(relative(dirname(source.handlerPath), file)),
      });
      for (const file of await readdir(PYTHON_TEMPLATE)) {
        if (file.endsWith('.py')) await cp(join(PYTHON_TEMPLATE, file), join(outDir, file));
      }
      const file = join(outDir, 'index.py');
      return { name: source.name, file, bytes: (await stat(file)).size };
    }),
  );
}

/**
 * Bundles the named functions (all when `names` is empty) into `build/functions/`, and stages the Python ones. A full
 * build also removes bundles of functions that no longer exist.
 */
export async function buildFunctions(names: readonly string[] = []): Promise<BundleResult[]> {
  const all = await findFunctions();
  const python = await findPythonFunctions();
  const unknown = names.filter((name) => ![...all, ...python].some((source) => source.name === name));
  if (unknown.length > 0) throw new Error(`no functions/<name>/handler.ts or handler.py for: ${unknown.join(', ')}`);
  const chosen = (sources: FunctionSource[]) => (names.length === 0 ? sources : sources.filter((source) => names.includes(source.name)));
  if (names.length === 0) await removeStaleBundles([...all, ...python].map((source) => source.name));
  return [...(await bundleFunctions(chosen(all), BUILD_DIR)), ...(await stagePythonFunctions(chosen(python), BUILD_DIR))];
}

/** Renders the size table `npm run build` prints. */
export function formatSizeTable(results: readonly BundleResult[]): string {
  const rows = results.map((result) => [
    result.name,
    String(result.bytes),
    (result.bytes / 1024).toFixed(1),
    relative(ROOT, dirname(result.file)),
  ]);
  // bytes: the code node compiles (function.cjs, or index.py), in the function's folder.
  const header = ['function', 'bytes', 'KiB', 'folder'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 1 || column === 2 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

let cachedVersion: string | undefined;

async function platformVersion(): Promise<string> {
  if (cachedVersion === undefined) {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    cachedVersion = typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  }
  return cachedVersion;
}

async function removeStaleBundles(current: readonly string[]): Promise<void> {
  const entries = await readdir(BUILD_DIR, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() && !current.includes(entry.name)) {
      await rm(join(BUILD_DIR, entry.name), { recursive: true, force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes the local image of every function of the stack whose bundle is among `results`, under the image name the
 * stack gives it (`${REGISTRY:-localhost:5000}/dataplatform-<name>:${TAG:-latest}`, substituted from `env` as faas-cli
 * does), with the config of its template's Dockerfile. Returns the image names.
 */
export async function writeStackImages(
  results: readonly BundleResult[],
  options: { readonly stackFile?: string; readonly imagesDir?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<string[]> {
  const stack = await loadStack(options.stackFile ?? join(ROOT, 'stack.yml'), options.env ?? process.env);
  const built = new Set(results.map((result) => dirname(result.file)));
  const images: string[] = [];
  for (const fn of stack.functions) {
    if (!built.has(fn.handlerDir)) continue;
    await writeImage({
      imagesDir: options.imagesDir ?? IMAGES_DIR,
      ref: fn.image,
      bundleDir: fn.handlerDir,
      dockerfile: join(ROOT, 'templates', fn.lang, 'Dockerfile'),
    });
    images.push(fn.image);
  }
  return images;
}

async function main(names: readonly string[]): Promise<void> {
  const started = performance.now();
  await mkdir(BUILD_DIR, { recursive: true });
  const results = await buildFunctions(names);
  console.log(formatSizeTable(results));
  const images = await writeStackImages(results);
  console.log(`${results.length} function(s) bundled and ${images.length} image(s) written to ${relative(ROOT, IMAGES_DIR)} in ${Math.round(performance.now() - started)} ms`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
