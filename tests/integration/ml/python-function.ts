/**
 * A Python function served as its image serves it, without the stack: staged by the build (the template's server
 * beside the function's modules), started with a Python interpreter on a free port, the call token set. Its log
 * lines (JSON on stdout) are kept for the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stagePythonFunctions } from '../../../dev/build.ts';
import { freePort } from '../../../dev/free-port.ts';
import { TEST_CALL_AUTH, TEST_CALL_TOKEN } from '../../fixtures/call-token.ts';

export interface PythonFunction {
  readonly url: string;
  /** Every line the process wrote on stdout, parsed (JSON) when it is JSON. */
  readonly lines: Array<Record<string, unknown>>;
  /** POSTs `body` (JSON) with the call token and an `X-Call-Id`. */
  call(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** Stages `functions/<name>` (or a fixture folder) and serves it with `python` (default: the system's python3). */
export async function startPythonFunction(options: {
  readonly handlerPath: string;
  readonly python?: string;
  readonly env?: NodeJS.ProcessEnv;
}): Promise<PythonFunction> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'python-function-'));
  const [staged] = await stagePythonFunctions([{ name: path.basename(path.dirname(options.handlerPath)), handlerPath: options.handlerPath }], dir);
  const root = path.dirname(staged?.file ?? '');
  const port = await freePort();
  const lines: Array<Record<string, unknown>> = [];
  const child: ChildProcess = spawn(options.python ?? 'python3', ['index.py'], {
    cwd: root,
    env: { PATH: process.env.PATH, http_port: String(port), CALL_TOKEN: TEST_CALL_TOKEN, PYTHONUNBUFFERED: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ text: line });
      }
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    const health = await fetch(`${url}/_/health`).catch(() => undefined);
    if (health?.status === 200) break;
    if (child.exitCode !== null || waited > 30_000) throw new Error(`the Python function did not start: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    lines,
    async call(body, headers = {}) {
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-call-id': `call-${Math.random().toString(16).slice(2, 10)}`, ...TEST_CALL_AUTH, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
