import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../templates/dataplatform-node20/settings.ts';
import { dockerfileConfig } from '../../dev/openfaas/images.ts';
import { loadStack, type Stack, type StackFunction } from '../../dev/openfaas/stack-file.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** faasd CE refuses a 16th function (its EULA check), and so does the local provider; this says it before a deploy. */
const MAX_FUNCTIONS = 15;

/** The faasd provider's `service_timeout` (the gateway's `upstream_timeout` is 65 s; docs/local-openfaas.md). */
const GATEWAY_TIMEOUT_MS = 60_000;

/** An empty environment: the stack's `${VAR:-default}` values are what a fresh machine gets. */
let stack: Stack;
let functionFolders: string[];
/** The folders whose function is Python (`handler.py`, templates/dataplatform-python3). */
let pythonFolders: string[];
/** The template image's `ENV`: the watchdog settings a function's stack `environment` may override. */
let templateEnv: Record<string, string>;

beforeAll(async () => {
  templateEnv = dockerfileConfig(await readFile(path.join(ROOT, 'templates/dataplatform-node20/Dockerfile'), 'utf8')).env;
  stack = await loadStack(path.join(ROOT, 'stack.yml'), {});
  const entries = await readdir(path.join(ROOT, 'functions'), { withFileTypes: true });
  const folders: string[] = [];
  const python: string[] = [];
  const isFile = async (file: string) => (await stat(path.join(ROOT, 'functions', file)).catch(() => undefined))?.isFile() === true;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if (await isFile(path.join(entry.name, 'handler.ts'))) folders.push(entry.name);
    else if (await isFile(path.join(entry.name, 'handler.py'))) python.push(entry.name);
  }
  pythonFolders = python.sort();
  functionFolders = [...folders, ...python].sort();
});

/** A watchdog timeout of a function as the watchdog reads it: the stack's value, else the template's default. */
function timeoutMs(fn: StackFunction, name: 'exec_timeout' | 'read_timeout' | 'write_timeout'): number {
  const text = fn.environment[name] ?? templateEnv[name];
  const ms = text === undefined ? undefined : parseGoDuration(text);
  if (ms === undefined) throw new Error(`${fn.name}: ${name} "${text}" is not a Go duration`);
  return ms;
}

describe('stack.yml', () => {
  it('has an entry for every functions/<name>/handler.ts (or handler.py) and a handler for every entry', () => {
    const names = stack.functions.map((fn) => fn.name).sort();
    expect({ missing_from_stack: functionFolders.filter((name) => !names.includes(name)) }).toEqual({ missing_from_stack: [] });
    expect({ missing_handler: names.filter((name) => !functionFolders.includes(name)) }).toEqual({ missing_handler: [] });
  });

  it(`stays within faasd CE's ${MAX_FUNCTIONS} functions`, () => {
    expect(stack.functions.length).toBeLessThanOrEqual(MAX_FUNCTIONS);
  });

  it('points each function at its own bundle folder and the project template of its language', () => {
    for (const fn of stack.functions) {
      expect({ name: fn.name, lang: fn.lang, handler: path.relative(ROOT, fn.handlerDir) }).toEqual({
        name: fn.name,
        lang: pythonFolders.includes(fn.name) ? 'dataplatform-python3' : 'dataplatform-node20',
        handler: path.join('build', 'functions', fn.name),
      });
    }
  });

  it('gives the cron-connector annotations to the scheduler alone, every minute', () => {
    const cron = stack.functions.filter((fn) => fn.annotations.topic !== undefined || fn.annotations.schedule !== undefined);
    expect(cron.map((fn) => ({ name: fn.name, topic: fn.annotations.topic, schedule: fn.annotations.schedule }))).toEqual([
      { name: 'scheduler', topic: 'cron-function', schedule: '* * * * *' },
    ]);
  });

  it('orders each function timeouts: exec_timeout ≤ read_timeout, write_timeout ≤ the gateway timeout', () => {
    const violations = stack.functions.flatMap((fn) => {
      const exec = timeoutMs(fn, 'exec_timeout');
      const read = timeoutMs(fn, 'read_timeout');
      const write = timeoutMs(fn, 'write_timeout');
      const problems: string[] = [];
      if (exec > read) problems.push(`${fn.name}: exec_timeout ${exec} ms > read_timeout ${read} ms`);
      if (exec > write) problems.push(`${fn.name}: exec_timeout ${exec} ms > write_timeout ${write} ms`);
      if (read > GATEWAY_TIMEOUT_MS) problems.push(`${fn.name}: read_timeout ${read} ms > gateway ${GATEWAY_TIMEOUT_MS} ms`);
      if (write > GATEWAY_TIMEOUT_MS) problems.push(`${fn.name}: write_timeout ${write} ms > gateway ${GATEWAY_TIMEOUT_MS} ms`);
      return problems;
    });
    expect(violations).toEqual([]);
  });
});
