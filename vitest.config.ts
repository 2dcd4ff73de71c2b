import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration tests share one PostgreSQL/FerretDB/OpenBao; each file uses its own schema or database.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
