import { isPlatformError } from '../errors.ts';
import { EXIT, UsageError, type CliIo } from './cli-io.ts';
import { runGenerateCommand } from './generate-command.ts';
import { runLogsCommand } from './logs-command.ts';
import { runMetadataCommand } from './metadata-command.ts';
import { runStatusCommand } from './status-command.ts';
import { WORK_COMMANDS, runWorkCommand, type WorkCommand } from './work-command.ts';

/** The help text, printed by `dataplatform help` and after a usage error. */
export const USAGE = `usage: dataplatform <command>

operate a running platform (docs/operate.md):
  status [--json] [--system ID]            systems with their latest landing and freshness, stuck and failed work;
                                           exit status 1 when anything needs a look
  run SYSTEM                               land a new batch of SYSTEM now, and follow it to the end of its chain
  backfill SYSTEM --from DATE [--to DATE]  land SYSTEM's data of that span as a new batch, and follow it
  rerun BATCH [--layer L] [--entity E]     run the batch's failed work again (or the named piece), and follow it
  force BATCH --layer L [--entity E]       redo work of the batch that succeeded, and follow it
  rebuild ENTITY                           replay a silver entity's history from bronze (a gold entity: recompute it)
  follow BATCH                             follow a batch until its work settles
  logs FUNCTION [--since 30m] [--tail N]   a function's log lines
  logs --call CALL_ID | --batch BATCH      the lines of one call, or of one batch across every function

  Work commands show progress until the chain settles, then each layer's counts and what failed with the command
  that reruns it; exit status 0 when it all succeeded, 1 when not, 130 after Ctrl-C (which stops following, not the
  work). Options: --timeout S (default 1800), --detach (start, do not follow), --namespace NS.
  BATCH is a batch id or its first characters. They read DATABASE_URL and MONGODB_URL (or .env), call the gateway at
  OPENFAAS_URL or GATEWAY_URL with CALL_TOKEN, and read logs with faas-cli's login.

set up:
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
    if (group === 'status') return await runStatusCommand(rest, io);
    if (group === 'logs') return await runLogsCommand(rest, io);
    if ((WORK_COMMANDS as readonly string[]).includes(group)) return await runWorkCommand(group as WorkCommand, rest, io);
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
    terminal: process.stdout.isTTY ? process.stdout : undefined,
  };
}
