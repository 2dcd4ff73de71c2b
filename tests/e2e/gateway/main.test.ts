import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../../dev/build.ts';
import { AUTH, PASSWORD, ROOT, WATCHDOG } from './harness.ts';

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

describe('dev/gateway/main.ts', () => {
  beforeAll(async () => {
    const bundle = path.join(ROOT, 'build/functions/healthcheck');
    if (!existsSync(path.join(bundle, 'index.mjs'))) {
      await bundleFunction('healthcheck', path.join(ROOT, 'functions/healthcheck/handler.ts'), bundle);
    }
  });

  it('prints where it listens, logs JSON, and stops its functions on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/gateway/main.ts', '--port', '0', '--function', 'healthcheck', '--no-cron'], {
      cwd: ROOT,
      env: { ...process.env, GATEWAY_WATCHDOG: WATCHDOG, GATEWAY_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!/gateway on (http:\S+)/.test(output) && Date.now() < deadline && child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const url = /gateway on (http:\S+)/.exec(output)?.[1];
      expect(url, output).toBeDefined();
      expect((await fetch(`${url}/function/healthcheck`)).status).toBe(200);

      const lines = output.split('\n').filter((line) => line.startsWith('{'));
      const listening = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'gateway listening');
      expect(listening).toMatchObject({ level: 'info', component: 'gateway', url, functions: ['healthcheck'] });
      expect(output).not.toContain(PASSWORD);

      // The function server's own start line tells which port it listens on.
      const logs = await (await fetch(`${url}/system/logs?name=healthcheck`, { headers: AUTH })).text();
      const started = logs
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { text: string })
        .map((line) => (line.text.startsWith('{') ? (JSON.parse(line.text) as Record<string, unknown>) : {}))
        .find((entry) => entry.msg === 'function server listening');
      const functionPort = Number(started?.port);
      expect(await accepts(functionPort)).toBe(true);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await accepts(functionPort)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
