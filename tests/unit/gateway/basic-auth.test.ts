import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasValidCredentials, loadCredentials } from '../../../dev/gateway/basic-auth.ts';

const withAuth = (value: string | undefined): IncomingMessage =>
  ({ headers: value === undefined ? {} : { authorization: value } }) as unknown as IncomingMessage;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('loadCredentials', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gw-auth-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prefers an explicit password, then GATEWAY_PASSWORD', async () => {
    expect(await loadCredentials(dir, 'given', { GATEWAY_PASSWORD: 'env' })).toEqual({ user: 'admin', password: 'given', passwordFile: undefined });
    expect(await loadCredentials(dir, undefined, { GATEWAY_PASSWORD: 'env' })).toMatchObject({ password: 'env' });
  });

  it('generates a password file (mode 0600) once and reads it back trimmed', async () => {
    const first = await loadCredentials(dir, undefined, {});
    expect(first.passwordFile).toBe(path.join(dir, 'basic-auth-password'));
    expect(first.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(first.passwordFile ?? '')).mode & 0o777).toBe(0o600);
    expect((await readFile(path.join(dir, 'basic-auth-user'), 'utf8')).trim()).toBe('admin');
    expect(await loadCredentials(dir, undefined, {})).toEqual(first);
    await writeFile(first.passwordFile ?? '', '  chosen \n');
    expect((await loadCredentials(dir, undefined, {})).password).toBe('chosen');
  });
});

describe('hasValidCredentials', () => {
  const credentials = { user: 'admin', password: 'p:ss', passwordFile: undefined };
  it.each([
    [basic('admin', 'p:ss'), true],
    [basic('admin', 'p:ss').replace('Basic', 'basic'), true],
    [basic('admin', 'wrong'), false],
    [basic('root', 'p:ss'), false],
    ['Bearer abc', false],
    ['Basic !!!', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => {
    expect(hasValidCredentials(withAuth(header), credentials)).toBe(expected);
  });
});
