import { isPlatformError } from '../errors.ts';
import { EXIT, UsageError, type CliIo } from './cli-io.ts';
import { runGenerateCommand } from './generate-command.ts';
import { runMetadataCommand } from './metadata-command.ts';

/** The help text, printed by `dataplatform help` and after a usage error. */
export const USAGE = `usage: dataplatform <command>

commands:
  metadata validate [--dir DIR]            check systems.json, entities.json, actions.json and the models
  metadata deploy [--dir DIR] [--force]    validate, then deploy to MongoDB (database METADATA_DB, default "metadata")
  generate [--seed N] [--batches N] [--scale N] [--out DIR]
                                           write the test system's batches and expected silver state
                                           (defaults: seed 1, 6 batches, scale 1, .local/jsonfile/TST01)

DIR defaults to ./metadata. Deploy reads MONGODB_URL and METADATA_DB from the environment (or .env).`;

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [group, ...rest] = argv;
  try {
    if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
      io.out(USAGE);
      return group === undefined ? EXIT.usage : EXIT.ok;
    }
    if (group === 'metadata') return await runMetadataCommand(rest, io);
    if (group === 'generate') return await runGenerateCommand(rest, io);
    throw new UsageError(`unknown command "${group}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    // Our errors say what and where without secrets; anything else is a bug, shown with its stack.
    io.err(isPlatformError(error) ? `error: ${error.message}` : `error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failed;
  }
}

function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
  };
}
