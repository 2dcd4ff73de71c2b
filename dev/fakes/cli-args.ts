import { parseArgs } from 'node:util';

/** `--port N` and the fakes' other flags, with a usage error that names the flag. */
export function readFakeArgs(
  argv: readonly string[],
  extra: Record<string, { type: 'string' | 'boolean' }> = {},
): { port: number; host: string; flags: Readonly<Record<string, string | boolean | undefined>> } {
  const { values } = parseArgs({
    args: [...argv],
    options: { port: { type: 'string' }, host: { type: 'string' }, ...extra },
    strict: true,
  });
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port: expected 0…65535, got ${String(values.port)}`);
  const flags = values as Record<string, string | boolean | undefined>;
  return { port, host: typeof values.host === 'string' ? values.host : '127.0.0.1', flags };
}

/** Closes the server on SIGINT/SIGTERM so `npx tsx dev/fakes/<x>/main.ts` stops cleanly. */
export function closeOnSignal(close: () => Promise<void>): void {
  const stop = (): void => {
    void close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
