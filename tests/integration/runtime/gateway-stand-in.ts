import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** A request the stand-in received. */
export interface ReceivedCall {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** A local HTTP server standing in for the gateway's async route: records each call, answers `status`. */
export interface GatewayStandIn {
  readonly url: string;
  readonly received: ReceivedCall[];
  /** The status the next calls get (202 by default, as the real async route answers). */
  status: number;
  close(): Promise<void>;
}

/** Starts the stand-in on a free port. */
export async function startGatewayStandIn(): Promise<GatewayStandIn> {
  const standIn = createGatewayStandIn();
  await standIn.listen();
  return standIn;
}

/**
 * The stand-in for the calling file or describe: listening before its tests, fresh before each (nothing received,
 * answering 202), closed after. Its `url` is known once the tests run.
 */
export function useGatewayStandIn(): GatewayStandIn {
  const standIn = createGatewayStandIn();
  beforeAll(() => standIn.listen());
  beforeEach(() => {
    standIn.received.length = 0;
    standIn.status = 202;
  });
  afterAll(() => standIn.close());
  return standIn;
}

/**
 * The stand-in, listening once `listen()` resolved. A 202 carries an `X-Call-Id` like the real gateway's; other
 * statuses answer plain text, as the CE gateway does.
 */
function createGatewayStandIn(): GatewayStandIn & { listen(): Promise<void> } {
  const received: ReceivedCall[] = [];
  let count = 0;
  let url: string | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: text === '' ? undefined : JSON.parse(text) });
      if (standIn.status === 202) {
        count += 1;
        response.writeHead(202, { 'x-call-id': `queued-${count}` });
        response.end();
      } else {
        response.writeHead(standIn.status, { 'content-type': 'text/plain' });
        response.end('Error queuing request: nats unavailable');
      }
    });
  });
  const standIn = {
    received,
    status: 202,
    get url(): string {
      if (url === undefined) throw new Error('the gateway stand-in is not listening yet');
      return url;
    },
    async listen(): Promise<void> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return standIn;
}

/** A port nothing listens on (bound, then released): a gateway that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
