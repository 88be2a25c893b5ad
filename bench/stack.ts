import type { Stack } from '../scripts/stack';
import type { DevServer } from '../lib/dev-server';
import { startTestStack } from '../tests/support/stack';

// The whole product for a benchmark, on 127.0.0.1 only, started by the same harness as the end-to-end
// tests. It has a Temporal dev server of its own on free ports and a fresh database: a new PostgreSQL
// database on the test server, or a new PGlite directory. The sandbox (with no artificial delays), the API
// and one worker run in this process. Provider keys are ignored, so nothing leaves the machine.

export type BenchDatabase = 'postgres' | 'pglite';

export interface BenchStack {
  stack: Stack;
  temporalServer: DevServer;
  database: BenchDatabase;
  stop(): Promise<void>;
}

// Far above what a benchmark sends, so the API's rate limits never turn a timed request into a 429.
const benchRateLimits = { apiPerMinute: 100_000, webhookPerMinute: 100_000 };

export async function startBenchStack(database: BenchDatabase): Promise<BenchStack> {
  const stack = await startTestStack({
    database,
    rateLimits: benchRateLimits,
    sandboxOptions: { stepDelayMs: 0, audioWebhookDelayMs: 0 },
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
  });

  return { stack, temporalServer: stack.temporalServer, database, stop: () => stack.stop() };
}
