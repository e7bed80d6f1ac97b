import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so native engines and child processes do not starve.
    maxWorkers: 2,
    env: { NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
  },
});
