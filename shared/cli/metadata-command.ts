import { resolve } from 'node:path';
import pino from 'pino';
import { connectMongo } from '../adapters/mongo/mongo-client.ts';
import { createMetadataStore } from '../adapters/mongo/metadata-store.ts';
import { createLogger } from '../log.ts';
import { deployMetadata } from '../metadata/deploy-metadata.ts';
import { checkMetadataFolder, loadModels } from '../metadata/load-models.ts';
import { loadMetadataConfig } from '../metadata/metadata-config.ts';
import { applyMetadataOverlay } from '../metadata/metadata-overlay.ts';
import { METADATA_FILES } from '../metadata/metadata-set.ts';
import { readMetadataDir } from '../metadata/read-metadata-dir.ts';
import { MetadataValidationError, validateMetadata, type MetadataTexts } from '../metadata/validate-metadata.ts';
import { EXIT, readCommandLine, UsageError, type CliIo } from './cli-io.ts';

/** `dataplatform metadata validate|deploy [--dir DIR] [--overlay DIR] [--force]`. */
export async function runMetadataCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = readCommandLine(argv, { dir: { type: 'string' }, overlay: { type: 'string' }, force: { type: 'boolean', default: false } }, 1);
  const [action] = parsed.positionals;
  if (action !== 'validate' && action !== 'deploy') {
    throw new UsageError(action === undefined ? 'missing metadata command' : `unknown metadata command "${action}"`);
  }
  const dir = resolve(io.cwd, parsed.values.dir ?? 'metadata');
  const overlay = parsed.values.overlay === undefined ? undefined : resolve(io.cwd, parsed.values.overlay);
  const source: MetadataSource = { dir, overlay, label: overlay === undefined ? dir : `${dir} with overlay ${overlay}` };
  return action === 'validate' ? validate(source, io) : deploy(source, parsed.values.force, io);
}

/** The folder, the overlay laid over it, and how both are named in messages. */
interface MetadataSource {
  readonly dir: string;
  readonly overlay: string | undefined;
  readonly label: string;
}

/** The folder's files with the overlay applied; problems of the overlay itself are reported as validation problems. */
async function readSource(source: MetadataSource): Promise<{ texts: MetadataTexts; issues: string[] }> {
  const files = Object.values(METADATA_FILES);
  await checkMetadataFolder(source.dir, files);
  const texts = await readMetadataDir(source.dir);
  if (source.overlay === undefined) return { texts, issues: [] };
  await checkMetadataFolder(source.overlay, files);
  return applyMetadataOverlay(texts, await readMetadataDir(source.overlay));
}

async function validate(source: MetadataSource, io: CliIo): Promise<number> {
  const { texts, issues } = await readSource(source);
  const result = validateMetadata(texts, await loadModels(source.dir));
  if (issues.length > 0 || !result.ok) return reportProblems([...issues, ...(result.ok ? [] : result.issues)], source.label, io);
  const { metadata } = result;
  io.out(
    `${source.label}: valid (${metadata.systems.length} systems, ${metadata.entities.length} entities, ` +
      `${metadata.actions.length} actions, ${Object.keys(metadata.models).length} models)`,
  );
  io.out(`hash ${metadata.hash}`);
  return EXIT.ok;
}

async function deploy(source: MetadataSource, force: boolean, io: CliIo): Promise<number> {
  const models = await loadModels(source.dir);
  const { texts, issues } = await readSource(source);
  // Validate before connecting: invalid files fail fast, even without MongoDB.
  const validation = validateMetadata(texts, models);
  if (issues.length > 0 || !validation.ok) return reportProblems([...issues, ...(validation.ok ? [] : validation.issues)], source.label, io);
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
      io.out(`deployed ${source.label} to MongoDB database "${config.database}" as generation ${result.generation}`);
      io.out(`hash ${result.hash}`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof MetadataValidationError) return reportProblems([...error.issues], source.label, io);
    throw error;
  } finally {
    await client.close();
  }
}

function reportProblems(issues: readonly string[], label: string, io: CliIo): number {
  for (const issue of issues) io.err(issue);
  io.err(`${label}: ${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}; nothing deployed`);
  return EXIT.failed;
}
