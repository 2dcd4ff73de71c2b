/** The delivery checks' tools (dev/services/delivery.sh) and how the tests run them. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A tool linked into .local/bin by `bash dev/services.sh tools` (the delivery project's global set-up). */
export function tool(name: 'hadolint' | 'check-jsonschema' | 'actionlint' | 'caddy' | 'faas-cli'): string {
  return path.join(ROOT, '.local/bin', name);
}

export interface ToolRun {
  readonly status: number | null;
  /** stdout and stderr together, as a person would read them. */
  readonly output: string;
}

/** Runs a tool to its end (they are quick), in the project folder unless told. */
export function runTool(command: string, args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): ToolRun {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
