import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { type DevServer, findFreeLoopbackPorts, startDevServer } from '../lib/dev-server';
import { createLogger } from '../lib/logger';
import { findTemporalCli } from '../lib/temporal-binaries';
import { type Stack, startStack } from '../scripts/stack';
import { createTestDatabase, type TestDatabase } from '../tests/support/database';
import { bundleWorkflows, installRuntimeLogger } from '../workers/worker';

// The whole product for a benchmark, on 127.0.0.1 only. It runs a Temporal dev server of its own on free
// ports and a fresh database: a new PostgreSQL database on the test server, or a new PGlite directory.
// The sandbox (with no artificial delays), the API and one worker run in this process. Provider keys are
// ignored, so nothing leaves the machine.

export type BenchDatabase = 'postgres' | 'pglite';

export interface BenchStack {
  stack: Stack;
  temporalServer: DevServer;
  database: BenchDatabase;
  stop(): Promise<void>;
}

const providerKeyVariables = ['RECALL_API_KEY', 'ANTHROPIC_API_KEY', 'ASSEMBLYAI_API_KEY', 'GEMINI_API_KEY'];

// Far above what a benchmark sends, so the API's rate limits never turn a timed request into a 429.
const benchRateLimits = { apiPerMinute: 100_000, webhookPerMinute: 100_000 };

export async function startBenchStack(database: BenchDatabase): Promise<BenchStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sales-blitz-bench-'));
  const cliPath = await findTemporalCli();
  if (cliPath === undefined) {
    throw new Error('No Temporal CLI found: run npm run temporal:setup first');
  }
  const [temporalPort, uiPort] = await findFreeLoopbackPorts(2);
  const temporalServer = await startDevServer({
    cliPath,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    port: temporalPort!,
    uiPort: uiPort!,
  });

  let testDatabase: TestDatabase | undefined;
  const stopStarted = async () => {
    await temporalServer.stop();
    await testDatabase?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    testDatabase = database === 'postgres' ? await createTestDatabase() : undefined;
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !providerKeyVariables.includes(name)),
    );
    const config = loadConfig({
      ...env,
      // 'test' because production rejects local token signing and generated webhook secrets, which the bench needs.
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: testDatabase?.url ?? '',
      PGLITE_DIR: path.join(dataDir, 'pglite'),
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      PUBLIC_BASE_URL: '',
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_PORT: '0',
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_WEB_URL: temporalServer.webUrl,
      AUTH_JWKS_URL: '',
      AUTH_PUBLIC_KEY: '',
      RECALL_WEBHOOK_SECRET: '',
      ASSEMBLYAI_WEBHOOK_SECRET: '',
    });
    const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'error', pretty: false });
    installRuntimeLogger(logger, 'WARN');

    const stack = await startStack({
      config,
      logger,
      startTemporal: false,
      workflowBundle: await bundleWorkflows(),
      rateLimits: benchRateLimits,
      sandboxOptions: { stepDelayMs: 0, audioWebhookDelayMs: 0 },
    });

    return {
      stack,
      temporalServer,
      database,
      async stop() {
        await stack.close();
        await stopStarted();
      },
    };
  } catch (error) {
    await stopStarted();
    throw error;
  }
}
