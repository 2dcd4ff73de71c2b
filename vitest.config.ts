import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        // Integration tests share one PostgreSQL/FerretDB/OpenBao; each file uses its own schema or database.
        test: { name: 'unit-integration', include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'] },
      },
      {
        extends: true,
        // Delivery (docs/deploy.md): lint the Dockerfiles, the workflow and the compose file, check the shrinkwrapped
        // build contexts, and route through the reverse proxy in front of the real gateway (which it only reads). The
        // global set-up installs the tools on first use (bash dev/services.sh tools).
        test: { name: 'delivery', include: ['tests/delivery/**/*.test.ts'], globalSetup: ['tests/delivery/global-setup.ts'] },
      },
      {
        extends: true,
        // Through the one local OpenFaaS stack (its gateway port is fixed, its queue-worker serial and restarted by
        // some tests): one file at a time, after the others.
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        // Faults and abuse (docs/reliability.md): some stop PostgreSQL, FerretDB, OpenBao or the provider, so nothing
        // else may run meanwhile: one file at a time, last.
        test: { name: 'reliability', include: ['tests/reliability/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
