/**
 * The real OpenFaaS stack driven as a user drives it, with faas-cli: deploy, describe, invoke (sync and async, with a
 * callback), logs, secrets, remove and deploy again; the function answers through gateway → provider → of-watchdog →
 * the project's template, errors keeping their status; `/system/*` needs the credentials; deployments survive a
 * provider restart and a dead replica is started again.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeader,
  CallbackReceiver,
  createTestNamespace,
  eventually,
  GATEWAY_URL,
  listFunctions,
  services,
  stackEntry,
  stackFile,
  waitUntilReady,
  type TestNamespace,
} from '../stack-harness.ts';
import { ROOT } from '../../../dev/openfaas/local-stack.ts';

let ns: TestNamespace;
const callbacks = new CallbackReceiver();
const ECHO_IMAGE = `e2e/echo-${process.pid}:latest`;
const SLOW_IMAGE = `e2e/slow-${process.pid}:latest`;

interface EchoAnswer {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly call_id: string | null;
  readonly secrets: string[] | null;
  readonly tz: string | null;
}

const echoStack = (extra = ''): string =>
  stackFile([
    stackEntry('echo', ECHO_IMAGE, `    labels:\n      com.dataplatform.role: test\n${extra}`),
    stackEntry('slow', SLOW_IMAGE, '', { exec: '2s', rw: '5s' }),
  ]);

beforeAll(async () => {
  ns = await createTestNamespace('e2e-cli');
  await ns.buildImage(ECHO_IMAGE, path.join(ROOT, 'tests/fixtures/functions/echo/handler.ts'));
  await ns.buildImage(SLOW_IMAGE, path.join(ROOT, 'tests/fixtures/functions/slow/handler.ts'));
  await callbacks.start();
  await ns.deploy(echoStack());
  await waitUntilReady(['echo', 'slow'], { namespace: ns.name });
}, 120_000);

afterAll(async () => {
  await callbacks.stop();
  await ns?.remove();
}, 60_000);

describe('faas-cli against the local OpenFaaS stack', () => {
  it('describes a deployed function: ready, one replica, its image, labels and URLs', async () => {
    const described = await ns.cli(['describe', 'echo', '--namespace', ns.name]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Status:\s+Ready/);
    expect(described.stdout).toMatch(/Replicas:\s+1/);
    expect(described.stdout).toMatch(/Available Replicas:\s+1/);
    expect(described.stdout).toContain(`Image:              ${ECHO_IMAGE}`);
    expect(described.stdout).toContain('com.dataplatform.role: test');
    expect(described.stdout).toContain(`URL:                ${GATEWAY_URL}/function/echo.${ns.name}`);
    const listed = await ns.cli(['list', '--namespace', ns.name]);
    expect(listed.stdout.split('\n').filter((line) => /^(echo|slow)\s/.test(line))).toHaveLength(2);
  });

  it('invokes a function: method, path, query, headers and body reach it, in UTC, and its JSON comes back', async () => {
    const invoked = await ns.cli(
      ['invoke', 'echo', '--namespace', ns.name, '--query', 'x=1', '--header', 'X-Custom: kept', '--content-type', 'text/plain'],
      { input: 'hello' },
    );
    expect(invoked.code).toBe(0);
    const echo = JSON.parse(invoked.stdout) as EchoAnswer;
    expect(echo).toMatchObject({ method: 'POST', path: '/', query: { x: '1' }, body: 'hello', tz: 'UTC' });
    expect(echo.headers['x-custom']).toBe('kept');
    // The gateway's call-id middleware: a UUID the function sees as its call id.
    expect(echo.call_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes a path below the function and the function status through the gateway', async () => {
    const answer = await fetch(ns.functionUrl('echo', '/a/b?fail=1'), { method: 'POST', body: '{}' });
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ error: 'data_rejected' });
    const ok = await fetch(ns.functionUrl('echo', '/a/b?y=2'), { method: 'PUT', body: 'x' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ method: 'PUT', path: '/a/b', query: { y: '2' } });
  });

  it('answers 504 when a call outlives the function exec_timeout, and keeps serving afterwards', async () => {
    const before = Date.now();
    const timedOut = await fetch(ns.functionUrl('slow', '?ms=20000'));
    await timedOut.arrayBuffer();
    expect(timedOut.status).toBe(504);
    expect(Date.now() - before).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - before).toBeLessThan(20_000);
    const next = await fetch(ns.functionUrl('slow', '?ms=10'), { headers: { 'x-call-id': 'after-timeout' } });
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ slept_ms: 10, call_id: 'after-timeout' });
  }, 60_000);

  it('invokes asynchronously: 202 at once, then the queue-worker runs the call and posts its outcome to X-Callback-Url', async () => {
    const invoked = await ns.cli(
      ['invoke', 'echo', '--async', '--namespace', ns.name, '--header', `X-Callback-Url: ${callbacks.url}/done?tag=a`, '--content-type', 'application/json'],
      { input: '{"n":1}' },
    );
    expect(invoked.code).toBe(0);
    expect(invoked.stderr).toContain('Function submitted asynchronously.');
    const [callback] = await callbacks.waitFor(1);
    expect(callback?.url).toBe('/done?tag=a');
    expect(callback?.headers).toMatchObject({ 'x-function-status': '200', 'x-function-name': `echo.${ns.name}` });
    expect(callback?.headers['x-duration-seconds']).toMatch(/^\d+\.\d+$/);
    const echo = JSON.parse(callback?.body ?? '{}') as EchoAnswer;
    expect(echo.body).toBe('{"n":1}');
    expect(echo.headers['user-agent']).toBe('openfaas-ce/nats-queue-worker');
    // The call id the gateway gave the queued call travels with the replay and the callback.
    expect(callback?.headers['x-call-id']).toBe(echo.call_id);
  });

  it('keeps each function output and serves it to faas-cli logs', async () => {
    const marker = `log-marker-${Date.now()}`;
    await fetch(ns.functionUrl('echo', `/${marker}`), { method: 'POST' });
    const logs = await eventually('the call in faas-cli logs', async () => {
      const result = await ns.cli(['logs', 'echo', '--namespace', ns.name, '--tail=false', '--since', '5m']);
      return result.stdout.includes(marker) ? result.stdout : undefined;
    });
    // The template's JSON log line, with the call id bound.
    expect(logs).toMatch(new RegExp(`"msg":"echo called".*${marker}|${marker}.*"msg":"echo called"`));
  });

  it('creates and lists secrets, and a function sees the ones it declares as files', async () => {
    const created = await ns.cli(['secret', 'create', 'e2e-token', '--from-literal', 's3cret-value', '--namespace', ns.name]);
    expect(created.code).toBe(0);
    const listed = await ns.cli(['secret', 'list', '--namespace', ns.name]);
    expect(listed.stdout).toContain('e2e-token');
    expect(listed.stdout).not.toContain('s3cret-value');
    await ns.deploy(echoStack('    secrets:\n      - e2e-token\n'));
    await waitUntilReady(['echo'], { namespace: ns.name });
    const answer = (await (await fetch(ns.functionUrl('echo'), { method: 'POST' })).json()) as EchoAnswer;
    expect(answer.secrets).toEqual(['e2e-token']);
  }, 60_000);

  it('refuses a deployment whose secret does not exist, and one whose image is not built, naming what is missing', async () => {
    const noSecret = await ns.deploy(echoStack('    secrets:\n      - e2e-missing\n'), { allowFailure: true });
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stdout + noSecret.stderr).toContain('unable to find secret: e2e-missing');
    const noImage = await ns.deploy(stackFile([stackEntry('ghost', 'e2e/never-built:1')]), { allowFailure: true });
    expect(noImage.code).not.toBe(0);
    expect(noImage.stdout + noImage.stderr).toContain('unable to pull image e2e/never-built:1');
  });

  it('removes a function (its route answers an error), then deploys it again', async () => {
    const removed = await ns.cli(['remove', 'slow', '--namespace', ns.name]);
    expect(removed.code).toBe(0);
    expect((await listFunctions(ns.name)).map((fn) => fn.name)).toEqual(['echo']);
    const gone = await fetch(ns.functionUrl('slow', '?ms=1'));
    expect(gone.status).toBeGreaterThanOrEqual(400);
    await ns.deploy(echoStack('    secrets:\n      - e2e-token\n'));
    await waitUntilReady(['echo', 'slow'], { namespace: ns.name });
    expect((await fetch(ns.functionUrl('slow', '?ms=1'))).status).toBe(200);
  }, 60_000);

  it('asks for the credentials on /system/* (401 without, 200 with) but never on function routes', async () => {
    const without = await fetch(`${GATEWAY_URL}/system/functions`);
    expect(without.status).toBe(401);
    const wrong = await fetch(`${GATEWAY_URL}/system/functions`, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const withCredentials = await fetch(`${GATEWAY_URL}/system/functions`, { headers: authHeader() });
    expect(withCredentials.status).toBe(200);
    expect((await fetch(ns.functionUrl('echo'), { method: 'POST' })).status).toBe(200);
  });

  it('starts a replica again when its process dies, and keeps deployments across a provider restart', async () => {
    const before = await ns.replica('echo');
    process.kill(before.pid, 'SIGKILL');
    const restarted = await eventually('a new echo replica', async () => {
      const now = await ns.replica('echo');
      return now.pid !== before.pid ? now : undefined;
    });
    expect(restarted.starts).toBe(before.starts + 1);
    await waitUntilReady(['echo'], { namespace: ns.name });
    expect((await fetch(ns.functionUrl('echo'), { method: 'POST' })).status).toBe(200);

    await services(['restart', 'provider']);
    await waitUntilReady(['echo', 'slow'], { namespace: ns.name });
    const answer = (await (await fetch(ns.functionUrl('echo'), { method: 'POST' })).json()) as EchoAnswer;
    expect(answer.secrets).toEqual(['e2e-token']);
  }, 120_000);
});
