import { defineConfig } from 'vitest/config';

// The benchmark's own checks, kept apart from the product's suite: `npx vitest run --config bench/vitest.config.ts`.
export default defineConfig({
  test: {
    include: ['bench/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
