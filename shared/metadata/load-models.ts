import { realpath, stat } from 'node:fs/promises';
import { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { models as projectModels } from '../../metadata/models/index.ts';
import { ConfigurationError } from '../errors.ts';
import type { MetadataFolderHookData } from './metadata-folder-hooks.ts';
import type { ModelRegistry } from './model-dsl.ts';

/** The checkout this code runs from: where a folder's model imports resolve (metadata-folder-hooks.ts). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a metadata folder holds, said where one is refused. */
export const METADATA_FOLDER_CONTENTS =
  'systems.json, entities.json and actions.json (JSON arrays of records, docs/metadata.md), and optionally ' +
  'models/index.ts exporting `models` (else the project\'s metadata/models are used)';

/** How a folder's model files are written, said when they fail to load. */
const MODEL_IMPORTS =
  'model files import zod and the model DSL as metadata/models does (`../../shared/metadata/model-dsl.ts`), ' +
  'resolved from this checkout as if the folder were its metadata/';

const hooked = new Set<string>();

/**
 * The entity models a metadata folder is validated against: its own `models/index.ts` (exporting `models`) when
 * it has one, else the project's. A folder anywhere on disk (a copy of `metadata/` in /tmp) loads: its models'
 * imports of zod and the DSL resolve to this checkout's (`metadata-folder-hooks.ts`), so they share the DSL's
 * column registry. Needs a TypeScript loader in the process (tsx: `bin/dataplatform.mjs`, `node --import tsx`).
 */
export async function loadModels(dir: string): Promise<ModelRegistry> {
  const index = path.join(dir, 'models', 'index.ts');
  if (!(await isFile(index))) return projectModels;
  const folder = await realpath(dir);
  if (folder === (await realpath(path.join(ROOT, 'metadata')))) return projectModels;
  if (!hooked.has(folder)) {
    const data: MetadataFolderHookData = { folder, root: ROOT };
    register(new URL('./metadata-folder-hooks.ts', import.meta.url), { data });
    hooked.add(folder);
  }
  let module: { models?: unknown };
  try {
    module = (await import(pathToFileURL(path.join(folder, 'models', 'index.ts')).href)) as { models?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message.split('\n', 1)[0]}` : String(error);
    throw new ConfigurationError(`${index} failed to load (${reason}); ${MODEL_IMPORTS}`, { cause: error });
  }
  if (typeof module.models !== 'object' || module.models === null) {
    throw new ConfigurationError(`${index} does not export "models" (the models by name, as metadata/models/index.ts does)`);
  }
  return module.models as ModelRegistry;
}

/**
 * Refuses a directory that cannot be a metadata folder: one that does not exist, or holds none of the three
 * files. (One with some of them is validated, and each missing file reported.)
 */
export async function checkMetadataFolder(dir: string, files: readonly string[]): Promise<void> {
  const kind = await stat(dir).then(
    (stats) => (stats.isDirectory() ? 'directory' : 'file'),
    () => 'missing',
  );
  if (kind === 'missing') throw new ConfigurationError(`${dir} does not exist; a metadata folder holds ${METADATA_FOLDER_CONTENTS}`);
  if (kind === 'file') throw new ConfigurationError(`${dir} is a file; a metadata folder holds ${METADATA_FOLDER_CONTENTS}`);
  const present = await Promise.all(files.map((file) => isFile(path.join(dir, file))));
  if (!present.some(Boolean)) {
    throw new ConfigurationError(`${dir} holds none of ${files.join(', ')}; a metadata folder holds ${METADATA_FOLDER_CONTENTS}`);
  }
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (stats) => stats.isFile(),
    () => false,
  );
}
