/** Where a CLI command writes: plain text for people (stdout for results, stderr for problems). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Exit codes: 0 done, 1 the command failed (invalid metadata, unreachable service), 2 wrong usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line the CLI cannot run: wrong command, unknown option. */
export class UsageError extends Error {}
