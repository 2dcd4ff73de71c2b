/**
 * The platform's gateway client (shared/adapters/gateway/gateway-client.ts) against the real gateway: what it sends
 * reaches the echo function in a namespace of its own, through the queue-worker for async calls, and the echo's
 * answer (posted to X-Callback-Url) says what arrived. A gateway that refuses, is down or answers in pieces cannot be
 * made of the real one without stopping the stack for everyone: tests/integration/runtime/gateway-client.test.ts
 * keeps those on a stand-in.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayClient } from '../../../shared/adapters/gateway/gateway-client.ts';
import { ROOT } from '../../../dev/openfaas/local-stack.ts';
import { CallbackReceiver, createTestNamespace, eventually, GATEWAY_URL, stackEntry, stackFile, waitUntilReady, type TestNamespace } from '../stack-harness.ts';

let ns: TestNamespace;
const callbacks = new CallbackReceiver();
const ECHO_IMAGE = `e2e/echo-gateway-client-${process.pid}:latest`;
const TOKEN = 'e2e-gateway-client-token-0123456789';

/** What the echo fixture answers (tests/fixtures/functions/echo/handler.ts), the fields read here. */
interface EchoAnswer {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly call_id: string | null;
}

/** The echo's answer the queue-worker posted to `/done/<tag>`, with the callback's headers. */
async function delivered(tag: string): Promise<{ headers: Record<string, unknown>; echo: EchoAnswer }> {
  const callback = await eventually(`the callback of ${tag}`, async () => callbacks.received.find((received) => received.url === `/done/${tag}`));
  return { headers: callback.headers, echo: JSON.parse(callback.body) as EchoAnswer };
}

beforeAll(async () => {
  ns = await createTestNamespace('e2e-gwc');
  await ns.buildImage(ECHO_IMAGE, path.join(ROOT, 'tests/fixtures/functions/echo/handler.ts'));
  await callbacks.start();
  await ns.deploy(stackFile([stackEntry('echo', ECHO_IMAGE)]));
  await waitUntilReady(['echo'], { namespace: ns.name });
}, 120_000);

afterAll(async () => {
  await callbacks.stop();
  await ns?.remove();
}, 60_000);

describe('the gateway client, on the real gateway', () => {
  it('queues a call for NAME.NAMESPACE: the function gets the JSON body and the call token, under the call id returned', async () => {
    const client = createGatewayClient({ baseUrl: `${GATEWAY_URL}/`, namespace: ns.name, token: TOKEN });
    const payload = { batch_id: 'b', entity_id: 'e' };
    const accepted = await client.invokeAsync('echo', payload, { callbackUrl: `${callbacks.url}/done/namespaced` });
    expect(accepted.callId).toMatch(/^\S+$/);
    const { headers, echo } = await delivered('namespaced');
    expect(headers).toMatchObject({ 'x-function-status': '200', 'x-function-name': `echo.${ns.name}`, 'x-call-id': accepted.callId });
    expect(JSON.parse(echo.body)).toEqual(payload);
    expect(echo.headers).toMatchObject({ 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` });
    expect(echo.call_id).toBe(accepted.callId);
  });

  it('sends a qualified name as given, whatever namespace the client is for', async () => {
    const client = createGatewayClient({ baseUrl: GATEWAY_URL, namespace: 'no-such-namespace' });
    const accepted = await client.invokeAsync(`echo.${ns.name}`, { n: 2 }, { callbackUrl: `${callbacks.url}/done/qualified` });
    const { headers, echo } = await delivered('qualified');
    expect(headers).toMatchObject({ 'x-function-status': '200', 'x-function-name': `echo.${ns.name}`, 'x-call-id': accepted.callId });
    expect(JSON.parse(echo.body)).toEqual({ n: 2 });
  });

  it('calls a function synchronously and returns its status, its JSON answer and the call id', async () => {
    const client = createGatewayClient({ baseUrl: GATEWAY_URL, namespace: ns.name });
    const answer = await client.invoke('echo', { n: 3 });
    expect(answer).toMatchObject({ status: 200, callId: expect.stringMatching(/^\S+$/) });
    const echo = answer.body as EchoAnswer;
    expect(JSON.parse(echo.body)).toEqual({ n: 3 });
    expect(echo.call_id).toBe(answer.callId);
  });
});
