import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The gateway release the local gateway mimics; `X-Served-By` and `/system/info` report it. */
export const GATEWAY_VERSION = '0.27.13';

/** `X-Served-By` of every function and async answer. */
export const SERVED_BY = `openfaas-ce/${GATEWAY_VERSION}`;

/** What the call-id middleware decided for one request. */
export interface CallStamp {
  readonly callId: string;
  /** True when the gateway made the id up: only then is it echoed to the caller. */
  readonly generated: boolean;
  /** Unix time in nanoseconds, as the gateway writes `X-Start-Time`. */
  readonly startTime: string;
}

/**
 * The gateway's call-id middleware: keep a client's `X-Call-Id`, otherwise generate a UUID; stamp the start
 * time in nanoseconds.
 */
export function stampCall(req: IncomingMessage, nowMs: number = Date.now()): CallStamp {
  const existing = req.headers['x-call-id'];
  const given = Array.isArray(existing) ? existing[0] : existing;
  const startTime = (BigInt(Math.trunc(nowMs)) * 1_000_000n).toString();
  if (given !== undefined && given !== '') return { callId: given, generated: false, startTime };
  return { callId: randomUUID(), generated: true, startTime };
}

/** The headers the middleware adds to the answer: the id only when generated, start time, served-by. */
export function stampResponseHeaders(stamp: CallStamp): Record<string, string> {
  return {
    ...(stamp.generated ? { 'X-Call-Id': stamp.callId } : {}),
    'X-Start-Time': stamp.startTime,
    'X-Served-By': SERVED_BY,
  };
}

/** Headers that describe one connection, never forwarded by a proxy (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

/** Request or response headers, lower-cased, with repeated headers kept as several values. */
export type HeaderValues = Record<string, string[]>;

/**
 * Collects `rawHeaders` into lower-cased multi-value headers, dropping hop-by-hop ones (and those named in
 * `Connection`) and anything listed in `drop`.
 */
export function forwardableHeaders(rawHeaders: readonly string[], drop: readonly string[] = []): HeaderValues {
  const named = new Set(drop.map((name) => name.toLowerCase()));
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'connection') {
      for (const token of (rawHeaders[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const headers: HeaderValues = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    (headers[name] ??= []).push(rawHeaders[i + 1] ?? '');
  }
  return headers;
}

/** The first value of a header, or undefined. */
export function firstValue(headers: HeaderValues, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}
