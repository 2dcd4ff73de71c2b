import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinBuild, readImage, unpinBuild, writeImage } from '../../../dev/openfaas/images.ts';

describe('local image store', () => {
  let dir: string;
  let options: Parameters<typeof writeImage>[0];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'images-'));
    const bundleDir = path.join(dir, 'bundle');
    await mkdir(bundleDir);
    await writeFile(path.join(bundleDir, 'index.cjs'), 'module.exports = {};\n');
    await writeFile(path.join(bundleDir, 'function.cjs'), 'exports.start = () => undefined;\n');
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM node:20\nWORKDIR /home/app\nENV fprocess="node index.cjs"\n');
    options = { imagesDir: path.join(dir, 'images'), ref: 'localhost:5000/fn:latest', bundleDir, dockerfile: path.join(dir, 'Dockerfile') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a build a running replica uses however often the tag is rebuilt, and prunes it once that replica is gone', async () => {
    await writeImage(options);
    const used = await readImage(options.imagesDir, options.ref);
    await pinBuild(used.rootDir, process.pid); // this test's process stands for a running replica
    const exited = spawnSync('true').pid; // a process that has exited: its pin counts for nothing
    for (let build = 0; build < 4; build += 1) await writeImage(options);
    expect((await readdir(used.rootDir)).sort()).toEqual(['function.cjs', 'index.cjs']);

    await unpinBuild(used.rootDir, process.pid);
    await pinBuild(used.rootDir, exited);
    await writeImage(options);
    await expect(readdir(used.rootDir)).rejects.toThrow(/ENOENT/);
  });
});
