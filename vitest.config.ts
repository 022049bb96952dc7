import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'infra/src/**/*.test.ts'],
    globalSetup: ['packages/test-support/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: integration tests move real bytes through real servers.
    maxWorkers: 2,
    pool: 'forks',
  },
});
