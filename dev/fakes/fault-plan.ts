import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What a fake source does instead of answering normally: an error status (500, 429 with `Retry-After`…), a body
 * cut off mid-way (200, chunked, half the JSON, then the end: valid HTTP, invalid JSON), a connection dropped
 * after the headers, or a delay before the normal answer.
 */
export type FaultKind =
  | { readonly type: 'status'; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly type: 'truncate' }
  | { readonly type: 'reset' }
  | { readonly type: 'delay'; readonly ms: number };

/** One planned fault: which requests it hits, after how many matching ones pass, and how many times. */
export interface Fault {
  readonly method?: string;
  /** Matched against the path (no query string). */
  readonly path?: RegExp;
  /** Matching requests that pass untouched before the fault fires (default 0). */
  readonly skip?: number;
  /** How many matching requests the fault hits (default 1; `Infinity` for "from now on"). */
  readonly times?: number;
  readonly kind: FaultKind;
}

interface ArmedFault {
  readonly fault: Fault;
  skipLeft: number;
  timesLeft: number;
}

/**
 * The faults armed on a fake server, consumed in order of arming. Tests arm them between calls to make a source
 * fail half-way (`skip: 2` pages, then 500 for ever), throttle (429) or send garbage.
 */
export class FaultPlan {
  #armed: ArmedFault[] = [];

  /** Arms a fault; it fires on matching requests after `skip` of them have passed. */
  add(fault: Fault): void {
    this.#armed.push({ fault, skipLeft: fault.skip ?? 0, timesLeft: fault.times ?? 1 });
  }

  /** Removes every armed fault. */
  clear(): void {
    this.#armed = [];
  }

  /** The fault this request hits, if any; counts the request against every matching fault. */
  take(method: string, path: string): FaultKind | undefined {
    for (const armed of this.#armed) {
      const { fault } = armed;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method.toUpperCase()) continue;
      if (fault.path !== undefined && !fault.path.test(path)) continue;
      if (armed.skipLeft > 0) {
        armed.skipLeft -= 1;
        continue;
      }
      if (armed.timesLeft <= 0) continue;
      armed.timesLeft -= 1;
      return fault.kind;
    }
    return undefined;
  }
}

/** A request as a fake server records it, for assertions (`fake.requests`). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly status: number;
}

/** Reads a request body completely. */
export async function readRequestBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Answers with a fault that replaces the whole answer (`status`, `truncate`, `reset`); `false` for `delay`, which
 * only waits and lets the normal answer follow. `body` is what the normal answer would have sent (truncate cuts it).
 */
export async function applyFault(
  kind: FaultKind,
  response: ServerResponse,
  normalBody: () => Buffer,
  encode: (value: unknown) => Buffer,
): Promise<boolean> {
  switch (kind.type) {
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, kind.ms));
      return false;
    case 'status': {
      const body = encode(kind.body ?? { status: kind.status, message: 'injected fault' });
      response.writeHead(kind.status, { 'content-type': 'application/json; charset=utf-8', ...kind.headers });
      response.end(body);
      return true;
    }
    case 'truncate': {
      const body = normalBody();
      // chunked (no content-length): the client sees a complete HTTP answer holding half a JSON document
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
      return true;
    }
    case 'reset':
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '100000' });
      response.flushHeaders();
      response.socket?.destroy();
      return true;
  }
}
