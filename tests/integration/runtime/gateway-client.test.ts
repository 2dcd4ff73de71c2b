import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createGatewayClient, GatewayCallError } from '../../../shared/adapters/gateway/gateway-client.ts';
import { PayloadTooLargeError, UpstreamUnavailableError } from '../../../shared/errors.ts';
import { closedPort, useGatewayStandIn } from './gateway-stand-in.ts';

// What the client sends, and that the real gateway routes it (NAME.NAMESPACE, the callback, the call id), is
// tests/e2e/openfaas/gateway-client.test.ts; a gateway that refuses, is down or answers in pieces stays a stand-in here.
describe('gateway client', () => {
  const gateway = useGatewayStandIn();

  it('fails an async call the gateway does not accept with the status and its text, retryable for 5xx', async () => {
    gateway.status = 500;
    const client = createGatewayClient({ baseUrl: gateway.url });
    const error = await client.invokeAsync('bronze', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayCallError);
    expect(error).toMatchObject({ gatewayStatus: 500, retryable: true, message: 'gateway answered 500 for bronze: Error queuing request: nats unavailable' });
  });

  it('reports a gateway that is down as unavailable', async () => {
    const client = createGatewayClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const error = await client.invokeAsync('bronze', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(/^gateway at http:\/\/127\.0\.0\.1:\d+ unreachable while calling async-function\/bronze: ECONNREFUSED$/);
  });

  it('refuses a payload over the async limit before sending it', async () => {
    const client = createGatewayClient({ baseUrl: gateway.url });
    const before = gateway.received.length;
    await expect(client.invokeAsync('bronze', { data: 'x'.repeat(256_000) })).rejects.toThrow(PayloadTooLargeError);
    expect(gateway.received.length).toBe(before);
  });

  it('refuses a name the gateway does not route', async () => {
    const client = createGatewayClient({ baseUrl: gateway.url });
    await expect(client.invokeAsync('../system/functions', {})).rejects.toThrow('is not a function name the gateway routes');
  });

  it('returns a sync call’s status and JSON body, whatever the status', async () => {
    const server = createServer((request, response) => {
      response.writeHead(request.url === '/function/ok' ? 200 : 422, { 'content-type': 'application/json; charset=utf-8', 'x-call-id': 'c-1' });
      response.end(JSON.stringify({ path: request.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = createGatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      expect(await client.invoke('ok', {})).toEqual({ status: 200, body: { path: '/function/ok' }, callId: 'c-1' });
      expect(await client.invoke('bad', {})).toEqual({ status: 422, body: { path: '/function/bad' }, callId: 'c-1' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a sync call that outlives its timeout', async () => {
    const server = createServer(() => undefined); // never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = createGatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const error = await client.invoke('slow', {}, { timeoutMs: 100 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect((error as Error).message).toMatch(/unreachable while calling function\/slow: timed out after 100 ms$/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a sync call whose answer stops halfway, and reads one sent in pieces', async () => {
    const server = createServer((request, response) => {
      const whole = JSON.stringify({ pieces: 'x'.repeat(28) });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(whole.length) });
      response.write(whole.slice(0, 10));
      if (request.url === '/function/cut') {
        response.destroy();
        return;
      }
      setTimeout(() => response.end(whole.slice(10)), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = createGatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      await expect(client.invoke('cut', {})).rejects.toThrow(UpstreamUnavailableError);
      expect(await client.invoke('whole', {})).toMatchObject({ status: 200, body: { pieces: 'x'.repeat(28) } });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
