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
