import { ConfigurationError } from '../../shared/errors.ts';

/** The server's settings, from `serve()` options or else the environment the watchdog passes on. */
export interface ServerSettings {
  /** `http_port` (default 3000): the port the watchdog's `upstream_url` points at. */
  readonly port: number;
  /** `MAX_BODY_BYTES` (default 1 MiB): larger bodies get 413. */
  readonly maxBodyBytes: number;
  /** `write_timeout` (Go duration, default 10s): how long SIGTERM waits for calls in flight. */
  readonly shutdownTimeoutMs: number;
}

export const DEFAULT_PORT = 3000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

// Parsed by hand rather than with zod: three numbers do not justify putting zod (~450 kB minified) into
// every bundle, healthcheck included. Errors still name the variable, as shared/config.ts does.
/** Reads the server's settings from the environment; a malformed value fails with its name. */
export function readServerSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  return {
    port: readInteger(env, 'http_port', DEFAULT_PORT, 0, 65_535),
    maxBodyBytes: readInteger(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 0, Number.MAX_SAFE_INTEGER),
    shutdownTimeoutMs: readDuration(env, 'write_timeout', DEFAULT_SHUTDOWN_TIMEOUT_MS),
  };
}

function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigurationError(`invalid environment: ${name}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Go durations as the watchdog reads them (`15s`, `1m30s`, `500ms`), or a bare number of seconds. */
export function parseGoDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (DURATION_UNITS_MS[unit ?? ''] ?? 0), 0);
}

function readDuration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = parseGoDuration(text);
  if (value === undefined) throw new ConfigurationError(`invalid environment: ${name}: expected a duration like 15s`);
  return value;
}
