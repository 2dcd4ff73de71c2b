/**
 * Module hooks (node:module `register`, run on Node's loader thread) for the models of a metadata folder that is not
 * the project's `metadata/` (`load-models.ts`). A folder's models are written like the project's: TypeScript ES
 * modules importing zod and the model DSL by the path metadata/models uses (`../../shared/metadata/model-dsl.ts`).
 * Wherever the folder lies, its imports resolve as if it were this checkout's `metadata/`:
 * - a relative import that leaves the folder resolves from `<root>/metadata` instead;
 * - a package (`zod`) resolves from the project, so the models and the DSL share one zod;
 * - its `.ts`/`.js` files load as ES modules, whatever package.json (or none) lies above the folder.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What `register` hands over: the folder and the project root, absolute. */
export interface MetadataFolderHookData {
  readonly folder: string;
  readonly root: string;
}

interface ResolveContext {
  readonly parentURL?: string | undefined;
  readonly conditions?: readonly string[];
  readonly importAttributes?: Readonly<Record<string, string>>;
}
interface LoadContext {
  readonly format?: string | null | undefined;
  readonly conditions?: readonly string[];
  readonly importAttributes?: Readonly<Record<string, string>>;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string; format?: string | null }>;
type NextLoad = (url: string, context?: LoadContext) => Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean }>;

let folder = '';
let root = '';

/** Called once by `register` with the folder and the project root. */
export function initialize(data: MetadataFolderHookData): void {
  folder = data.folder;
  root = data.root;
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function folderFile(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('file:')) return undefined;
  const file = fileURLToPath(url);
  return isInside(file, folder) ? file : undefined;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string; format?: string | null }> {
  const parent = folderFile(context.parentURL);
  if (parent === undefined) return next(specifier, context);
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const target = path.resolve(path.dirname(parent), specifier);
    const mapped = isInside(target, folder) ? target : path.resolve(root, 'metadata', path.relative(folder, target));
    return next(pathToFileURL(mapped).href, context);
  }
  const isPackage = !specifier.startsWith('node:') && !specifier.startsWith('file:') && !path.isAbsolute(specifier);
  if (isPackage) return next(specifier, { ...context, parentURL: pathToFileURL(path.join(root, 'package.json')).href });
  return next(specifier, context);
}

export async function load(url: string, context: LoadContext, next: NextLoad): ReturnType<NextLoad> {
  const file = folderFile(url);
  if (file !== undefined && /\.(?:ts|mts|js|mjs)$/.test(file)) return next(url, { ...context, format: 'module' });
  return next(url, context);
}
