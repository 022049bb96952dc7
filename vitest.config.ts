import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'infra/src/**/*.test.ts'],
    globalSetup: ['packages/test-support/src/global-setup.ts'],
    // Bounds for hangs, not speed targets: beside two copies of the suite (the crash soak) a test of
    // seconds takes a minute. Waits inside tests use TEST_PATIENCE_MS (@ferry/test-support).
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Two cores: integration tests move real bytes through real servers.
    maxWorkers: 2,
    pool: 'forks',
  },
});
