import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Child-process and network tests are bounded individually; keep files parallel but few at once on 2 cores.
    maxWorkers: 2,
  },
});
