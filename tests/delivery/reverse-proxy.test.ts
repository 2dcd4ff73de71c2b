/**
 * The home server's reverse proxy, for real: Caddy runs deploy/caddy/Caddyfile (the file docker-compose.yml mounts) in
 * front of the local OpenFaaS gateway on 127.0.0.1:8080, and the test calls both. The public site must pass
 * /function/webhook/<system> to the gateway untouched and refuse everything else itself; the LAN site passes all to the
 * gateway, whose own authentication then applies. Only reads: it sends no call a function would act on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/free-port.ts';
import { ROOT, tool } from './delivery-tools.ts';

const GATEWAY = 'http://127.0.0.1:8080';
const PUBLIC_HOST = 'webhooks.dataplatform.test';
const LAN_HOST = 'gateway.dataplatform.test';

interface Answer {
  readonly status: number;
  readonly body: string;
}

let caddy: ChildProcess;
let work: string;
let ports: { http: number; https: number; lan: number };
let log = '';

/** A request through the proxy: TLS to 127.0.0.1 with the site's name (SNI and Host), the path sent as is. */
function throughProxy(port: number, host: string, method: string, requestPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, servername: host, method, path: requestPath, headers: { host }, rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function direct(method: string, requestPath: string): Promise<Answer> {
  const response = await fetch(`${GATEWAY}${requestPath}`, { method });
  return { status: response.status, body: await response.text() };
}

const publicSite = (method: string, requestPath: string): Promise<Answer> => throughProxy(ports.https, PUBLIC_HOST, method, requestPath);
const lanSite = (method: string, requestPath: string): Promise<Answer> => throughProxy(ports.lan, LAN_HOST, method, requestPath);

/** The public site's own refusal: not the gateway's words. */
const REFUSED: Answer = { status: 404, body: 'not found' };

beforeAll(async () => {
  const health = await fetch(`${GATEWAY}/healthz`).catch(() => undefined);
  if (!health?.ok) throw new Error(`the local gateway does not answer on ${GATEWAY}/healthz: run npm run services -- up`);
  work = await mkdtemp(path.join(tmpdir(), 'dp-caddy-'));
  ports = { http: await freePort(), https: await freePort(), lan: await freePort() };
  caddy = spawn(tool('caddy'), ['run', '--adapter', 'caddyfile', '--config', path.join(ROOT, 'deploy/caddy/Caddyfile')], {
    env: {
      PATH: process.env.PATH,
      // Storage of the internal CA and certificates, this run's own.
      XDG_DATA_HOME: path.join(work, 'data'),
      XDG_CONFIG_HOME: path.join(work, 'config'),
      PUBLIC_HOST,
      // No ACME here (no internet): Caddy's internal CA stands in for Let's Encrypt.
      PUBLIC_TLS: 'internal',
      LAN_HOST,
      LAN_BIND: '127.0.0.1',
      GATEWAY_UPSTREAM: '127.0.0.1:8080',
      HTTP_PORT: String(ports.http),
      HTTPS_PORT: String(ports.https),
      LAN_PORT: String(ports.lan),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  caddy.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  caddy.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (caddy.exitCode !== null) throw new Error(`caddy exited (${caddy.exitCode}):\n${log}`);
    const answer = await publicSite('GET', '/').catch(() => undefined);
    if (answer) break;
    if (Date.now() > deadline) throw new Error(`caddy did not answer within 20 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

afterAll(async () => {
  if (caddy && caddy.exitCode === null) {
    const exited = new Promise((resolve) => caddy.once('exit', resolve));
    caddy.kill('SIGTERM');
    await exited;
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the public site (the internet)', () => {
  it('passes /function/webhook/<system> to the gateway: the answer is the gateway\'s, word for word', async () => {
    for (const method of ['POST', 'GET']) {
      const proxied = await publicSite(method, '/function/webhook/NO_SUCH_SYSTEM');
      expect(proxied).not.toEqual(REFUSED);
      expect({ method, ...proxied }).toEqual({ method, ...(await direct(method, '/function/webhook/NO_SUCH_SYSTEM')) });
    }
  });

  it('refuses every other function, the API and the UI without asking the gateway', async () => {
    for (const requestPath of ['/function/silver', '/function/dashboard', '/async-function/bronze', '/system/functions', '/system/secrets', '/ui/', '/', '/healthz', '/metrics']) {
      expect({ requestPath, ...(await publicSite('GET', requestPath)) }).toEqual({ requestPath, ...REFUSED });
      expect({ requestPath, ...(await publicSite('POST', requestPath)) }).toEqual({ requestPath, ...REFUSED });
    }
    // The gateway itself would have answered them (401 for its API and UI): the refusal is the proxy's.
    expect((await direct('GET', '/system/functions')).status).toBe(401);
    expect((await direct('GET', '/ui/')).status).toBe(401);
  });

  it('refuses paths that only look like the webhook once cleaned or decoded', async () => {
    for (const requestPath of [
      '/function/webhook',
      '/function/webhook/../silver',
      '/function/webhook/../../system/functions',
      '/function/webhook/%2e%2e/silver',
      '/function/webhook/..%2Fsilver',
      '//function/silver',
      '/function/webhooks/x',
      '/async-function/webhook/TST01',
    ]) {
      expect({ requestPath, ...(await publicSite('POST', requestPath)) }).toEqual({ requestPath, ...REFUSED });
    }
  });

  it('answers plain HTTP with a redirect to HTTPS, never with the gateway', async () => {
    const response = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: ports.http, path: '/function/webhook/TST01', method: 'POST', headers: { host: PUBLIC_HOST } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      });
      req.on('error', reject);
      req.end();
    });
    expect(response.status).toBe(308);
    expect(response.location).toBe(`https://${PUBLIC_HOST}/function/webhook/TST01`);
  });
});

describe('the LAN site', () => {
  it('passes the gateway, its API and UI (behind the gateway\'s own credentials) and every function', async () => {
    for (const requestPath of ['/system/functions', '/ui/', '/function/dashboard', '/healthz']) {
      expect({ requestPath, ...(await lanSite('GET', requestPath)) }).toEqual({ requestPath, ...(await direct('GET', requestPath)) });
    }
    expect((await lanSite('GET', '/system/functions')).status).toBe(401);
  });
});

describe('docker-compose.yml', () => {
  it('runs this Caddyfile in the caddy service, in the host network beside faasd', async () => {
    const compose = load(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[]; network_mode?: string; environment?: Record<string, string> }>;
    };
    const caddyService = compose.services.caddy;
    expect(caddyService?.volumes).toContain('./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro');
    expect(caddyService?.network_mode).toBe('host');
    expect(Object.keys(caddyService?.environment ?? {}).sort()).toEqual(['GATEWAY_UPSTREAM', 'LAN_BIND', 'LAN_HOST', 'PUBLIC_HOST', 'PUBLIC_TLS']);
  });
});
