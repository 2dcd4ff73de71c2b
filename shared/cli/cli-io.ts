import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a CLI command writes: plain text for people (stdout for results, stderr for problems). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Standard output when it is a terminal: progress is drawn as bars there, and written as lines elsewhere. */
  readonly terminal?: NodeJS.WriteStream | undefined;
}

/** Exit codes: 0 done, 1 the command or the work it followed failed, 2 wrong usage, 130 stopped by Ctrl-C. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A command line the CLI cannot run: wrong command, unknown option. */
export class UsageError extends Error {}

type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * A command's options and positionals, read strictly by node:util's parseArgs: an unknown option, a missing value or
 * more than `positionals` arguments is a UsageError.
 */
export function readCommandLine<const O extends CommandOptions>(argv: readonly string[], options: O, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return parsed;
}
