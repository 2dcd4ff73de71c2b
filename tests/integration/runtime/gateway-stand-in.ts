import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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

/**
 * Starts the stand-in on a free port. A 202 carries an `X-Call-Id` like the real gateway's; other statuses answer
 * plain text, as the CE gateway does.
 */
export async function startGatewayStandIn(): Promise<GatewayStandIn> {
  const received: ReceivedCall[] = [];
  let count = 0;
  const stand: { status: number } = { status: 202 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: text === '' ? undefined : JSON.parse(text) });
      if (stand.status === 202) {
        count += 1;
        response.writeHead(202, { 'x-call-id': `queued-${count}` });
        response.end();
      } else {
        response.writeHead(stand.status, { 'content-type': 'text/plain' });
        response.end('Error queuing request: nats unavailable');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get status() {
      return stand.status;
    },
    set status(value: number) {
      stand.status = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on (bound, then released): a gateway that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
