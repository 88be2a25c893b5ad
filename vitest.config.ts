import { defineConfig } from 'vitest/config';

// Test files start real servers (PostgreSQL databases, Temporal dev servers), so they run two at a
// time on the project's two-core machines and get generous timeouts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
