import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../../../shared/log.ts';
import type { Clock } from '../../../../shared/adapters/http/rate-limiter.ts';

/** A request the test server received. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A local HTTP server on port 0 that answers with `handle` and records every request. */
export interface TestServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startTestServer(
  handle: (request: SeenRequest, response: ServerResponse, index: number) => void,
): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      handle(seen, response, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with a status and extra headers. */
export function answerJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

/** A clock that never really waits: `sleep` records the wait and moves `now` forward. */
export function fakeClock(startMs = Date.parse('2026-03-01T12:00:00Z')): Clock & { readonly waits: number[]; current(): number } {
  let now = startMs;
  const waits: number[] = [];
  return {
    waits,
    current: () => now,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

/** A logger whose JSON lines are kept in `lines` (parsed) and `text` (raw). */
export function captureLog(): { readonly log: Logger; readonly lines: Record<string, unknown>[]; text(): string } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  log.level = 'debug';
  return { log, lines, text: () => raw.join('') };
}
