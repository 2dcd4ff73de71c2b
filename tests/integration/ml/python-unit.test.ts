import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../dev/openfaas/local-stack.ts';
import { trainingPython } from './ml-fixtures.ts';

// The training's pure Python (functions/action-train/forecast.py) has unit tests of its own, in Python's unittest;
// they need the training's environment (scikit-learn, pandas), so they run here, after the services built it.

describe('functions/action-train unit tests (python -m unittest)', () => {
  it('pass', async () => {
    const python = await trainingPython();
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], { cwd: path.join(ROOT, 'functions/action-train'), timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    expect(result.output).toMatch(/Ran \d+ tests/);
  }, 150_000);
});
