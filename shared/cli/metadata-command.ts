import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { connectMongo } from '../adapters/mongo/mongo-client.ts';
import { createMetadataStore } from '../adapters/mongo/metadata-store.ts';
import { createLogger } from '../log.ts';
import { deployMetadata } from '../metadata/deploy-metadata.ts';
import { loadMetadataConfig } from '../metadata/metadata-config.ts';
import type { ModelRegistry } from '../metadata/model-dsl.ts';
import { readMetadataDir } from '../metadata/read-metadata-dir.ts';
import { MetadataValidationError, validateMetadata } from '../metadata/validate-metadata.ts';
import { EXIT, UsageError, type CliIo } from './cli-io.ts';

/** `dataplatform metadata validate|deploy [--dir DIR] [--force]`. */
export async function runMetadataCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { dir: { type: 'string' }, force: { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [action, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const dir = resolve(io.cwd, parsed.values.dir ?? 'metadata');
  if (action === 'validate') return validate(dir, io);
  if (action === 'deploy') return deploy(dir, parsed.values.force, io);
  throw new UsageError(action === undefined ? 'missing metadata command' : `unknown metadata command "${action}"`);
}

async function validate(dir: string, io: CliIo): Promise<number> {
  const models = await loadModels(dir);
  const result = validateMetadata(await readMetadataDir(dir), models);
  if (!result.ok) return reportProblems(result.issues, dir, io);
  const { metadata } = result;
  io.out(
    `${dir}: valid (${metadata.systems.length} systems, ${metadata.entities.length} entities, ` +
      `${metadata.actions.length} actions, ${Object.keys(metadata.models).length} models)`,
  );
  io.out(`hash ${metadata.hash}`);
  return EXIT.ok;
}

async function deploy(dir: string, force: boolean, io: CliIo): Promise<number> {
  const models = await loadModels(dir);
  const texts = await readMetadataDir(dir);
  // Validate before connecting: invalid files fail fast, even without MongoDB.
  const validation = validateMetadata(texts, models);
  if (!validation.ok) return reportProblems(validation.issues, dir, io);
  const config = loadMetadataConfig(io.env);
  const log = createLogger({ component: 'cli' }, pino.destination(2));
  log.level = io.env.LOG_LEVEL ?? 'warn';
  const client = await connectMongo(config.mongodbUrl, { appName: 'dataplatform-cli' });
  try {
    const store = createMetadataStore(client.db(config.database));
    const result = await deployMetadata(texts, { store, models, log, now: new Date(), force });
    if (result.status === 'unchanged') {
      io.out(`metadata unchanged (hash ${result.hash}, generation ${result.generation}); nothing deployed (--force deploys anyway)`);
    } else {
      io.out(`deployed ${dir} to MongoDB database "${config.database}" as generation ${result.generation}`);
      io.out(`hash ${result.hash}`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof MetadataValidationError) return reportProblems([...error.issues], dir, io);
    throw error;
  } finally {
    await client.close();
  }
}

function reportProblems(issues: readonly string[], dir: string, io: CliIo): number {
  for (const issue of issues) io.err(issue);
  io.err(`${dir}: ${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}; nothing deployed`);
  return EXIT.failed;
}

/**
 * The models to validate against: `<dir>/models/index.ts` when the directory has its own (a copy of the
 * project's metadata), else the project's registry.
 */
async function loadModels(dir: string): Promise<ModelRegistry> {
  const own = resolve(dir, 'models', 'index.ts');
  const hasOwn = await access(own).then(
    () => true,
    () => false,
  );
  if (!hasOwn) return (await import('../../metadata/models/index.ts')).models;
  const module = (await import(pathToFileURL(own).href)) as { models?: ModelRegistry };
  if (!module.models) throw new UsageError(`${own} does not export "models"`);
  return module.models;
}
