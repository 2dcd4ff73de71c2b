import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/errors.ts';
import { loadStack, substituteEnv } from '../../../dev/openfaas/stack-file.ts';

describe('substituteEnv', () => {
  it.each([
    ['${A}', { A: 'x' }, 'x'],
    ['${A}', {}, ''], // unset becomes "" like faas-cli's envsubst
    ['${A:-dflt}', {}, 'dflt'],
    ['${A:-dflt}', { A: '' }, 'dflt'], // :- also replaces an empty value
    ['${A-dflt}', { A: '' }, ''], // - only replaces an unset one
    ['${A-dflt}', {}, 'dflt'],
    ['pre-$A-post', { A: 'x' }, 'pre-x-post'],
    ['cost $$5', {}, 'cost $5'],
    ['${REGISTRY:-localhost:5000}/img:${TAG:-latest}', { TAG: '1.2' }, 'localhost:5000/img:1.2'],
  ])('turns %s into the expected text', (text, env, expected) => {
    expect(substituteEnv(text, env)).toBe(expected);
  });
});

describe('loadStack', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gw-stack-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string): Promise<void> => writeFile(path.join(dir, name), text);

  it('reads functions with defaults, resolved handler folders and stringified map values', async () => {
    await write(
      'stack.yml',
      `version: 1.0
provider: {name: openfaas, gateway: http://127.0.0.1:8080}
functions:
  echo:
    lang: dataplatform-node20
    handler: ./build/functions/echo
    image: reg/echo:\${TAG:-latest}
    environment: {exec_timeout: 5s, max_inflight: 2, RAW_BODY: true}
    annotations: {topic: cron-function, schedule: "*/5 * * * *"}
    secrets: [db-password]
    limits: {memory: 128Mi}
`,
    );
    const stack = await loadStack(path.join(dir, 'stack.yml'), { TAG: '0.1.0' });
    expect(stack.gateway).toBe('http://127.0.0.1:8080');
    expect(stack.functions).toEqual([
      {
        name: 'echo',
        namespace: 'openfaas-fn',
        lang: 'dataplatform-node20',
        image: 'reg/echo:0.1.0',
        handlerDir: path.join(dir, 'build/functions/echo'),
        fprocess: undefined,
        environment: { exec_timeout: '5s', max_inflight: '2', RAW_BODY: 'true' },
        secrets: ['db-password'],
        labels: {},
        annotations: { topic: 'cron-function', schedule: '*/5 * * * *' },
        limits: { memory: '128Mi' },
        requests: {},
      },
    ]);
  });

  it('lets environment files override inline environment, later files winning', async () => {
    await write('a.yml', 'environment: {A: from-a, B: from-a}\n');
    await write('b.yml', 'environment: {B: from-b}\n');
    await write(
      'stack.yml',
      `provider: {name: openfaas}
functions:
  fn:
    lang: x
    handler: ./fn
    image: fn
    environment: {A: inline, C: inline}
    environment_file: [a.yml, b.yml]
`,
    );
    const [fn] = (await loadStack(path.join(dir, 'stack.yml'), {})).functions;
    expect(fn?.environment).toEqual({ A: 'from-a', B: 'from-b', C: 'inline' });
  });

  it.each([
    ['a misspelt key', 'functions: {fn: {lang: x, handler: ./fn, image: fn, enviroment: {}}}', /functions\.fn: Unrecognized key: "enviroment"/],
    ['a name that is not a DNS label', 'functions: {Fn_1: {lang: x, handler: ./fn, image: fn}}', /DNS-1035/],
    ['a missing image', 'functions: {fn: {lang: x, handler: ./fn}}', /functions\.fn\.image/],
  ])('refuses %s with the place of the problem', async (_case, functions, message) => {
    await write('stack.yml', `provider: {name: openfaas}\n${functions}\n`);
    const loading = loadStack(path.join(dir, 'stack.yml'), {});
    await expect(loading).rejects.toThrow(ConfigurationError);
    await expect(loading).rejects.toThrow(message);
  });

  it('keeps the namespace a function names, and gives the others the default one', async () => {
    await write('stack.yml', 'provider: {name: openfaas}\nfunctions: {a: {lang: x, handler: ./a, image: a, namespace: team}, b: {lang: x, handler: ./b, image: b}}\n');
    const stack = await loadStack(path.join(dir, 'stack.yml'), {});
    expect(stack.functions.map((fn) => [fn.name, fn.namespace])).toEqual([['a', 'team'], ['b', 'openfaas-fn']]);
  });

  it('names the file when it cannot be read', async () => {
    await expect(loadStack(path.join(dir, 'missing.yml'), {})).rejects.toThrow(/stack file .*missing\.yml cannot be read/);
  });
});
