import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../../dev/build.ts';
import { startGateway, type Gateway } from '../../../dev/gateway/gateway.ts';
import { ConfigurationError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/log.ts';
import { AUTH, createWorkspace, echoEntry, PASSWORD, ROOT, WATCHDOG, type Workspace } from './harness.ts';

const quiet = createLogger({}, { write: () => undefined });

describe("the project's stack.yml with the real healthcheck bundle", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    // `npm test` builds first; a standalone run bundles the one function it needs the same way.
    const bundle = path.join(ROOT, 'build/functions/healthcheck');
    if (!existsSync(path.join(bundle, 'index.mjs'))) {
      await bundleFunction('healthcheck', path.join(ROOT, 'functions/healthcheck/handler.ts'), bundle);
    }
    gateway = await startGateway({
      root: ROOT,
      port: 0,
      functions: ['healthcheck'],
      watchdogPath: WATCHDOG,
      password: PASSWORD,
      cron: { tickMs: 0 },
      stopGraceMs: 500,
      log: quiet,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers through gateway, watchdog and template with the call id', async () => {
    const answer = await fetch(`${gateway.url}/function/healthcheck.openfaas-fn`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await answer.json()).toEqual({
      function: 'healthcheck',
      status: 'ok',
      version: expect.any(String),
      call_id: answer.headers.get('x-call-id'),
    });
  });

  it('reports the stack timeouts and limits in /system/functions', async () => {
    const [healthcheck] = (await (await fetch(`${gateway.url}/system/functions`, { headers: AUTH })).json()) as Record<string, unknown>[];
    expect(healthcheck).toMatchObject({
      name: 'healthcheck',
      envVars: { exec_timeout: '10s', read_timeout: '15s', write_timeout: '15s' },
      limits: { memory: '128Mi' },
    });
  });
});

describe('start-up failures name their cause', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await createWorkspace();
  });
  afterAll(async () => {
    await workspace?.remove();
  });

  it('refuses to start without the watchdog, pointing at npm run services', async () => {
    await workspace.writeStack(`provider: {name: openfaas}\nfunctions:\n${echoEntry('echo')}`);
    const starting = workspace.start({ watchdogPath: 'no/such/watchdog' });
    await expect(starting).rejects.toThrow(ConfigurationError);
    await expect(starting).rejects.toThrow(/watchdog not found at .*no\/such\/watchdog: run "npm run services -- up"/);
  });

  it('refuses a function whose secret is missing, like a faasd deploy', async () => {
    await workspace.writeStack(`provider: {name: openfaas}\nfunctions:\n${echoEntry('echo', '    secrets: [absent]\n')}`);
    await expect(workspace.start()).rejects.toThrow(/function echo: unable to find secret: absent/);
  });

  it('refuses a function without a bundle, pointing at npm run build', async () => {
    await workspace.writeStack(`provider: {name: openfaas}
functions:
  unbuilt: {lang: dataplatform-node20, handler: ./build/functions/unbuilt, image: unbuilt}
`);
    await expect(workspace.start()).rejects.toThrow(/function unbuilt: no bundle at .*; run "npm run build"/);
  });

  it('refuses to serve a function the stack does not list', async () => {
    await workspace.writeStack(`provider: {name: openfaas}\nfunctions:\n${echoEntry('echo')}`);
    await expect(workspace.start({ functions: ['nope'] })).rejects.toThrow(/not in .*stack\.yml: nope/);
  });

  it('shows the last output of a function that dies during start', async () => {
    await workspace.writeStack(`provider: {name: openfaas}
functions:
${echoEntry('crashing', '    fprocess: node -e process.exit(7)\n')}`);
    await expect(workspace.start()).rejects.toThrow(/function crashing exited during start; last output:\n.*terminated/s);
  });
});
