import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Vitest's default is one worker per core less one: a single worker on this 2-core machine, where most tests wait
    // on child processes, databases and sockets. Two keep both cores busy (the suite: about 7 minutes instead of 10).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
