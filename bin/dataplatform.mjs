#!/usr/bin/env node
// The project's CLI (`npx dataplatform …`). It runs the TypeScript sources directly through tsx, so it needs no
// build step; all logic lives in shared/cli/.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../shared/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
