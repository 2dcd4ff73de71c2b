import { randomUUID } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../../dev/build.ts';
import { freePort } from '../../../dev/free-port.ts';
import { loadEnv } from '../../../shared/config.ts';
import { describeConnectionString } from '../../fixtures/functions/stand-ins/describe-connection-string.ts';

// The modules dev/build.ts puts in place of package code (whatwg-url, pg's socket picker) exist only in bundles;
// integration tests use the drivers unbundled. So this bundles a fixture function as every function is bundled,
// starts it as its container does, and compares what the bundled drivers do with what the real packages do.
const ROOT = resolve(import.meta.dirname, '../../..');
const env = loadEnv();
// This file's own path prefix in OpenBao's KV v2 engine.
const VAULT_PREFIX = `dataplatform_it_${randomUUID().slice(0, 8)}`;
const SECRET = `bundled-${randomUUID()}`;
/** The platform call token the bundle asks of its callers (shared/runtime/call-token.ts). */
const CALL_TOKEN = `call-token-${randomUUID()}`;
const vault = nodeVault({ endpoint: env.VAULT_ADDR, token: env.VAULT_TOKEN });

/** Connection strings of every shape the platform meets (and a few the parser must refuse). */
const CONNECTION_STRINGS = [
  'mongodb://127.0.0.1:27017/?directConnection=true',
  env.MONGODB_URL,
  'mongodb://dataplatform:p%40ss%3Aw%2Frd%20%C3%A9@127.0.0.1:27017/dataplatform?authSource=admin&directConnection=true',
  'mongodb://app:secret@mongo-0.mongo:27017,mongo-1.mongo:27018,mongo-2.mongo/landing?replicaSet=rs0&readPreference=secondaryPreferred&w=majority&retryWrites=false&appName=dataplatform-bronze',
  'mongodb://h/?DirectConnection=true&REPLICASET=rs1&maxPoolSize=7',
  'mongodb://[::1]:27017,[fe80::1]:27018/db?tls=true',
  'mongodb+srv://user:pw@cluster0.example.net/db?retryWrites=true&w=majority',
  'mongodb://user:pa:ss@127.0.0.1/',
  'mongodb://127.0.0.1:27017/?unknownOption=1',
  'mongodb://h/?w=majority&journal=notabool',
  'mongodb://127.0.0.1:27017/a%2Fb?authSource=%24external&appName=a+b%20c',
  'mongodb://a b@h/dätä?appName=ü',
  'mongodb://u@h/?appName=%zz',
  'postgres://127.0.0.1/',
];

let workDir: string;
let bundleDir: string;
let child: ChildProcess | undefined;
let port: number;

beforeAll(async () => {
  await vault.write(`secret/data/${VAULT_PREFIX}/stand-ins`, { data: { token: SECRET } });
  workDir = await mkdtemp(join(tmpdir(), 'dataplatform-stand-ins-'));
  bundleDir = join(workDir, 'stand-ins');
  await bundleFunction('stand-ins', join(ROOT, 'tests/fixtures/functions/stand-ins/handler.ts'), bundleDir);
  port = await freePort();
  child = spawn(process.execPath, ['index.cjs'], {
    cwd: bundleDir,
    env: {
      PATH: process.env.PATH ?? '',
      TZ: 'UTC',
      LOG_LEVEL: 'warn',
      http_port: String(port),
      SECRET_STORE: 'vault',
      VAULT_ADDR: env.VAULT_ADDR,
      VAULT_TOKEN: env.VAULT_TOKEN,
      VAULT_PATH_PREFIX: VAULT_PREFIX,
      CALL_TOKEN,
    },
    stdio: 'ignore',
  });
  for (let tries = 0; (await fetch(`http://127.0.0.1:${port}/_/health`).catch(() => undefined))?.status !== 200; tries += 1) {
    if (tries > 500) throw new Error('the stand-ins bundle did not start');
    await sleep(20);
  }
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((done) => child?.once('exit', done));
    child.kill('SIGTERM');
    await gone;
  }
  await rm(workDir, { recursive: true, force: true });
  await vault.delete(`secret/metadata/${VAULT_PREFIX}/stand-ins`);
});

type BundleAnswer = { parsed: unknown[]; mongo: unknown; postgres: unknown; secret: unknown };

async function callBundle(body: unknown): Promise<BundleAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CALL_TOKEN}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as BundleAnswer;
}

describe('a bundled function and the call token', () => {
  it('refuses a call without the token or with another one (401, asking a browser for it), and takes one with it', async () => {
    for (const authorization of [undefined, 'Bearer not-the-token-at-all-0123456789', `Basic ${Buffer.from('platform:nope').toString('base64')}`]) {
      const refused = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: authorization ? { authorization } : {}, body: '{}' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="dataplatform"');
      expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
    }
    // A browser sends the token as the password of Basic auth.
    const basic = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`platform:${CALL_TOKEN}`).toString('base64')}` },
      body: JSON.stringify({ urls: [] }),
    });
    expect(basic.status).toBe(200);
  });
});

describe('function bundles with stand-in modules', () => {
  it('leave whatwg-url and its Unicode tables out, and pg without its Cloudflare probe', async () => {
    const meta = JSON.parse(await readFile(join(bundleDir, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((input) => /node_modules\/(whatwg-url|tr46)\//.test(input))).toEqual([]);
    expect(inputs).not.toContain('node_modules/pg/lib/stream.js');
    expect(inputs).toContain('node_modules/mongodb-connection-string-url/lib/index.js');
  });

  it('hold only the part of zod the code uses (`import { z }` bundled as `import * as z`)', async () => {
    const meta = JSON.parse(await readFile(join(bundleDir, 'meta.json'), 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
    };
    const bundle = Object.entries(meta.outputs).find(([file]) => file.endsWith('function.cjs'))?.[1];
    const zodBytes = Object.entries(bundle?.inputs ?? {})
      .filter(([input]) => input.startsWith('node_modules/zod/'))
      .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
    expect(zodBytes).toBeGreaterThan(0);
    expect(zodBytes).toBeLessThan(200_000); // all of zod is ~460 kB
  });

  it('parse every MongoDB connection string exactly as the driver with the real whatwg-url does', async () => {
    const { parsed } = await callBundle({ urls: CONNECTION_STRINGS });
    const expected = CONNECTION_STRINGS.map(describeConnectionString);
    expect(expected.filter((described) => 'error' in described)).toHaveLength(4); // the refused ones really are refused
    expect(parsed).toEqual(expected);
  });

  it('reach MongoDB and PostgreSQL with the bundled drivers', async () => {
    expect(await callBundle({ mongo: env.MONGODB_URL, postgres: env.DATABASE_URL })).toMatchObject({ mongo: 1, postgres: 1 });
  });

  it('read a secret from Vault through the store module imported on first use', async () => {
    expect(await callBundle({ secret: 'stand-ins/token' })).toMatchObject({ secret: SECRET });
  });
});
