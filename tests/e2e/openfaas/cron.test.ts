/**
 * cron-connector, which calls the functions annotated `topic: cron-function` on their `schedule` (the platform's
 * scheduler every minute; a short schedule here), found by its own look at the gateway's function list.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../dev/openfaas/local-stack.ts';
import { createTestNamespace, eventually, stackEntry, stackFile, waitUntilReady, type TestNamespace } from '../stack-harness.ts';

let ns: TestNamespace;
const ECHO_IMAGE = `e2e/cron-echo-${process.pid}:latest`;

beforeAll(async () => {
  ns = await createTestNamespace('e2e-cron');
  await ns.buildImage(ECHO_IMAGE, path.join(ROOT, 'tests/fixtures/functions/echo/handler.ts'));
  await ns.deploy(
    stackFile([
      stackEntry('ticker', ECHO_IMAGE, '    annotations:\n      topic: cron-function\n      schedule: "@every 2s"\n'),
      stackEntry('quiet', ECHO_IMAGE),
    ]),
  );
  await waitUntilReady(['ticker', 'quiet'], { namespace: ns.name });
}, 120_000);

afterAll(async () => {
  await ns?.remove();
}, 60_000);

/** The calls cron-connector made to a function, from its log: the echo function logs each call's `X-Topic`. */
async function cronCalls(name: string): Promise<number> {
  const logs = await ns.cli(['logs', name, '--namespace', ns.name, '--tail=false']);
  return logs.stdout.split('\n').filter((line) => line.includes('"msg":"echo called"') && line.includes('"topic":"cron-function"')).length;
}

describe('cron-connector', () => {
  it('calls a function annotated topic: cron-function on its schedule, and leaves the others alone', async () => {
    // Found at its next look at the functions (every 10 s), then called every 2 s.
    const calls = await eventually('two scheduled calls', async () => {
      const count = await cronCalls('ticker');
      return count >= 2 ? count : undefined;
    }, 60_000, 1000);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(await cronCalls('quiet')).toBe(0);
  }, 90_000);
});
