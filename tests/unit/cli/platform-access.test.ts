import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayLogin } from '../../../shared/cli/platform-access.ts';

describe('gatewayLogin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'faas-cli-config-'));
    // What `faas-cli login` writes: the gateway and base64("user:password").
    const token = Buffer.from('operator:s3cret:with-colon').toString('base64');
    await writeFile(path.join(dir, 'config.yml'), `auths:\n- gateway: https://faas.home.example/\n  auth: basic\n  token: ${token}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the login faas-cli stored for the gateway (a trailing slash aside)", () => {
    expect(gatewayLogin('https://faas.home.example', { OPENFAAS_CONFIG: dir })).toEqual({
      baseUrl: 'https://faas.home.example',
      user: 'operator',
      password: 's3cret:with-colon',
    });
  });

  it('never sends one gateway the login of another', () => {
    let login;
    try {
      login = gatewayLogin('http://other.example:8080', { OPENFAAS_CONFIG: dir });
    } catch (error) {
      expect((error as Error).message).toContain('faas-cli login --gateway http://other.example:8080');
      return;
    }
    expect(login.password).not.toBe('s3cret:with-colon'); // the local stack's own password, when there is one
  });
});
