import { describe, expect, it } from 'vitest';
import { dockerfileConfig, imageFolder, normalizeRef } from '../../../dev/openfaas/images.ts';
import { functionSideUrl } from '../../../dev/openfaas/local-stack.ts';
import {
  FunctionDeployment,
  functionStatus,
  omitEmpty,
  resolveNamespace,
  splitFunctionName,
  type DeployedFunction,
} from '../../../dev/openfaas/provider/deployment.ts';
import { slotAddress, slotMac } from '../../../dev/openfaas/provider/function-network.ts';
import { replicaEnvironment, watchdogPort } from '../../../dev/openfaas/provider/replica-env.ts';

const deployed = (overrides: Partial<DeployedFunction['deployment']> = {}, replicas = 1): DeployedFunction => ({
  deployment: { service: 'bronze', image: 'localhost:5000/dataplatform-bronze:latest', namespace: 'openfaas-fn', ...overrides },
  replicas,
  createdAt: '2026-12-01T10:00:00.000Z',
});

describe('a deployment request (faas-provider FunctionDeployment)', () => {
  it('accepts what faas-cli deploy sends, with null maps as Go marshals them', () => {
    const parsed = FunctionDeployment.parse({
      service: 'bronze',
      image: 'localhost:5000/dataplatform-bronze:latest',
      envProcess: 'node index.cjs',
      envVars: { exec_timeout: '50s' },
      constraints: null,
      secrets: null,
      labels: { 'com.dataplatform.role': 'layer' },
      annotations: {},
      limits: { memory: '384Mi' },
      namespace: 'openfaas-fn',
    });
    expect(parsed.envVars).toEqual({ exec_timeout: '50s' });
  });

  it.each([
    [{ service: 'Bronze_1', image: 'x' }, /service: must be a DNS-1123 label/],
    [{ service: 'bronze', image: '' }, /image: image is required/],
    [{ service: 'bronze', image: 'x', secrets: ['../etc'] }, /secrets\.0: invalid secret name/],
  ])('refuses %j naming the field', (body, message) => {
    const result = FunctionDeployment.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')).toMatch(message);
  });
});

describe('the status a provider reports (faas-provider FunctionStatus)', () => {
  it('reports the deployment with one wanted replica and how many are available, leaving empty fields out as Go does', () => {
    const status = functionStatus(deployed({ envVars: { A: '1' }, labels: {}, secrets: [], envProcess: '' }), 0);
    expect(status).toEqual({
      name: 'bronze',
      image: 'localhost:5000/dataplatform-bronze:latest',
      namespace: 'openfaas-fn',
      envVars: { A: '1' },
      replicas: 1,
      createdAt: '2026-12-01T10:00:00.000Z',
    });
    expect(functionStatus(deployed(), 1).availableReplicas).toBe(1);
  });

  it('reports no replica for a function scaled to zero, however many were asked for before', () => {
    expect(functionStatus(deployed({}, 0), 0)).not.toHaveProperty('replicas');
    expect(functionStatus(deployed({}, 3), 1).replicas).toBe(1);
  });

  it('drops empty strings, zero numbers, false, null and empty lists and objects, and keeps every other value', () => {
    expect(omitEmpty({ a: '', b: 0, c: [], d: {}, e: false, f: null, g: 'x', h: 2, i: [1], j: { k: 1 } })).toEqual({ g: 'x', h: 2, i: [1], j: { k: 1 } });
  });
});

describe('function and namespace names', () => {
  it.each([
    ['bronze', { name: 'bronze', namespace: 'openfaas-fn' }],
    ['bronze.openfaas-fn', { name: 'bronze', namespace: 'openfaas-fn' }],
    ['bronze.e2e-1', { name: 'bronze', namespace: 'e2e-1' }],
  ])('splits %s', (qualified, parts) => {
    expect(splitFunctionName(qualified)).toEqual(parts);
  });

  it('takes the default namespace when none is given and refuses a name that is no DNS label', () => {
    expect(resolveNamespace(undefined)).toBe('openfaas-fn');
    expect(resolveNamespace('')).toBe('openfaas-fn');
    expect(resolveNamespace('team-a')).toBe('team-a');
    expect(() => resolveNamespace('../etc')).toThrow(/not a DNS-1123 label/);
  });
});

describe('a replica environment', () => {
  const image = {
    ref: 'localhost:5000/dataplatform-bronze:latest',
    created: '2026-12-01T10:00:00.000Z',
    workdir: '/home/app',
    env: { fprocess: 'node index.cjs', MIGRATIONS_DIR: '/home/app/migrations', exec_timeout: '10s', upstream_url: 'http://127.0.0.1:3000' },
  };
  const paths = { rootDir: '/images/bronze/rootfs', tmpDir: '/run/bronze/tmp', secretsDir: '/run/bronze/secrets' };

  it('layers the image ENV (its paths mapped to the image folder), the deployment env and envProcess, then the runtime paths', () => {
    const env = replicaEnvironment(
      image,
      { service: 'bronze', image: image.ref, envVars: { exec_timeout: '50s', HOME: '/nope' }, envProcess: 'node --enable-source-maps index.cjs' },
      paths,
      { PATH: '/usr/bin', LANG: 'C.UTF-8', DATABASE_URL: 'from-the-provider', TZ: 'Europe/Amsterdam' },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      fprocess: 'node --enable-source-maps index.cjs',
      MIGRATIONS_DIR: '/images/bronze/rootfs/migrations',
      exec_timeout: '50s',
      upstream_url: 'http://127.0.0.1:3000',
      HOME: '/run/bronze/tmp',
      TMPDIR: '/run/bronze/tmp',
      SECRETS_DIR: '/run/bronze/secrets',
    });
  });

  it('proxies to the watchdog port the replica listens on, 8080 unless the image or deployment says otherwise', () => {
    expect(watchdogPort({})).toBe(8080);
    expect(watchdogPort({ port: '9000' })).toBe(9000);
    expect(() => watchdogPort({ port: 'x' })).toThrow(/not a TCP port/);
  });
});

describe('local images', () => {
  it('reads the final stage ENV and WORKDIR of a Dockerfile', () => {
    const config = dockerfileConfig(`FROM builder AS build
ENV IGNORED="yes"
FROM node:20-alpine AS ship
WORKDIR /home/app
ENV MIGRATIONS_DIR="/home/app/migrations"
ENV fprocess="node index.cjs"
ENV a=1 b="two words"
ENV legacy value with spaces
`);
    expect(config).toEqual({
      workdir: '/home/app',
      env: { MIGRATIONS_DIR: '/home/app/migrations', fprocess: 'node index.cjs', a: '1', b: 'two words', legacy: 'value with spaces' },
    });
  });

  it('gives a reference without a tag the tag latest, and each reference its own folder', () => {
    expect(normalizeRef('localhost:5000/dataplatform-bronze')).toBe('localhost:5000/dataplatform-bronze:latest');
    expect(normalizeRef('e2e/echo:1')).toBe('e2e/echo:1');
    expect(imageFolder('/images', 'a/b')).toBe(imageFolder('/images', 'a/b:latest'));
    expect(imageFolder('/images', 'a/b:1')).not.toBe(imageFolder('/images', 'a_b:1'));
  });
});

describe('the function network', () => {
  it('gives each slot an address in 10.62.0.0/16 and an interface address derived from it', () => {
    expect(slotAddress('10.62.0.1', 2)).toBe('10.62.0.2');
    expect(slotAddress('10.62.0.1', 300)).toBe('10.62.1.44');
    expect(slotMac('10.62.1.44')).toBe('02:42:0a:3e:01:2c');
  });

  it('shows a function the loopback services of this machine at 10.62.0.1, and leaves other hosts alone', () => {
    expect(functionSideUrl('postgres://u:p@127.0.0.1:55432/db')).toBe('postgres://u:p@10.62.0.1:55432/db');
    expect(functionSideUrl('mongodb://localhost:27017/?directConnection=true')).toBe('mongodb://10.62.0.1:27017/?directConnection=true');
    expect(functionSideUrl('http://127.0.0.1')).toBe('http://10.62.0.1');
    expect(functionSideUrl('postgres://db.lan:5432/x')).toBe('postgres://db.lan:5432/x');
    expect(functionSideUrl('postgres://u:127.0.0.1@db.lan/x')).toBe('postgres://u:127.0.0.1@db.lan/x');
  });
});
