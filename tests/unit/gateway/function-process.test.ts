import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionEnvironment } from '../../../dev/gateway/function-process.ts';
import type { StackFunction } from '../../../dev/gateway/stack-file.ts';

describe('functionEnvironment', () => {
  const fn: StackFunction = {
    name: 'echo', namespace: 'openfaas-fn', lang: 'x', image: 'echo', handlerDir: '/h', fprocess: undefined,
    environment: { exec_timeout: '2s', port: '9999', DATABASE_URL: 'postgres://db' }, secrets: [], labels: {},
    annotations: {}, limits: {}, requests: {},
  };
  const paths = { secretsDir: '/state/secrets/echo', tmpDir: '/state/tmp/echo' };

  it('layers template defaults, the stack environment and what the gateway controls', () => {
    const env = functionEnvironment(fn, { watchdog: 4001, upstream: 4002 }, paths, { PATH: '/bin', SECRET_OF_GATEWAY: 'x' });
    expect(env).toEqual({
      PATH: '/bin',
      TZ: 'UTC',
      exec_timeout: '2s', // the stack wins over the template's 10s
      read_timeout: '15s',
      write_timeout: '15s',
      prefix_logs: 'false',
      DATABASE_URL: 'postgres://db',
      mode: 'http',
      fprocess: 'node index.mjs',
      upstream_url: 'http://127.0.0.1:4002',
      port: '4001', // the gateway's port wins over the stack's
      http_port: '4002',
      lock_path: path.join('/state/tmp/echo', '.lock'),
      TMPDIR: '/state/tmp/echo',
      SECRETS_DIR: '/state/secrets/echo',
    });
  });

  it('uses the stack fprocess when given', () => {
    expect(functionEnvironment({ ...fn, fprocess: 'node other.mjs' }, { watchdog: 1, upstream: 2 }, paths, {}).fprocess).toBe('node other.mjs');
  });
});
