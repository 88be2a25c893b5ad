import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { mintLocalToken, type Principal } from '../../api/auth';
import { loadConfig, type TConfig } from '../../lib/config';
import { type DevServer, findFreeLoopbackPorts, startDevServer } from '../../lib/dev-server';
import { createLogger } from '../../lib/logger';
import { findTemporalCli } from '../../lib/temporal-binaries';
import { type Stack, type StackOptions, startStack } from '../../scripts/stack';
import { bundleWorkflows, installRuntimeLogger } from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from './database';

// The whole product for end-to-end tests: a fresh PostgreSQL database, a Temporal dev server of its own
// on free loopback ports, the sandbox, the API and a worker, all on 127.0.0.1. Provider API keys from the
// environment are ignored, so no test can reach a real provider.

export interface TestStack extends Stack {
  testDatabase: TestDatabase | undefined;
  temporalServer: DevServer;
  tokenFor(principal: Principal): Promise<string>;
  /** Calls the API with a bearer token for `principal`; returns status and parsed JSON body. */
  request(
    method: string,
    path: string,
    options?: { principal?: Principal; body?: unknown; token?: string },
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  stop(): Promise<void>;
}

let sharedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflows once per test file. */
export function testWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  sharedBundle ??= bundleWorkflows();
  return sharedBundle;
}

const providerKeyVariables = [
  'RECALL_API_KEY',
  'ANTHROPIC_API_KEY',
  'ASSEMBLYAI_API_KEY',
  'GEMINI_API_KEY',
  'STRIPE_SECRET_KEY',
  'INSTANTLY_API_KEY',
  'RESEND_API_KEY',
];

export interface TestStackOptions extends Partial<
  Pick<StackOptions, 'withoutWorker' | 'rateLimits' | 'sandboxOptions'>
> {
  env?: Record<string, string>;
  /** A fresh database on the PostgreSQL test server (default), or a new PGlite directory. */
  database?: 'postgres' | 'pglite';
  /** pino level; TEST_LOG_LEVEL or silent by default. */
  logLevel?: string;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sales-blitz-test-'));
  const testDatabase = options.database === 'pglite' ? undefined : await createTestDatabase();
  const [temporalPort, uiPort] = await findFreeLoopbackPorts(2);
  const cliPath = await findTemporalCli();
  if (cliPath === undefined) {
    throw new Error('No Temporal CLI: run npm run temporal:setup');
  }
  const temporalServer = await startDevServer({
    cliPath,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    port: temporalPort!,
    uiPort: uiPort!,
  });

  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !providerKeyVariables.includes(name)));
  const config: TConfig = loadConfig({
    ...env,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: testDatabase?.url ?? '',
    PGLITE_DIR: path.join(dataDir, 'pglite'),
    PUBLIC_BASE_URL: '',
    API_PORT: '0',
    SANDBOX_PORT: '0',
    TEMPORAL_ADDRESS: temporalServer.address,
    TEMPORAL_WEB_URL: temporalServer.webUrl,
    AUTH_JWKS_URL: '',
    AUTH_PUBLIC_KEY: '',
    RECALL_WEBHOOK_SECRET: '',
    ASSEMBLYAI_WEBHOOK_SECRET: '',
    CALCOM_WEBHOOK_SECRET: '',
    ...options.env,
  });
  const logger = createLogger({ level: options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  installRuntimeLogger(logger, 'WARN');

  let stack: Stack;
  try {
    stack = await startStack({
      config,
      logger,
      startTemporal: false,
      workflowBundle: await testWorkflowBundle(),
      withoutWorker: options.withoutWorker,
      rateLimits: options.rateLimits,
      sandboxOptions: { stepDelayMs: 50, audioWebhookDelayMs: 50, ...options.sandboxOptions },
    });
  } catch (error) {
    await temporalServer.stop();
    await testDatabase?.drop();
    throw error;
  }

  const tokenFor = (principal: Principal) => mintLocalToken(stack.config, principal);

  return {
    ...stack,
    testDatabase,
    temporalServer,
    tokenFor,
    async request(method, requestPath, requestOptions = {}) {
      const token =
        requestOptions.token ?? (requestOptions.principal ? await tokenFor(requestOptions.principal) : undefined);
      const response = await fetch(`${stack.apiUrl}${requestPath}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(requestOptions.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: requestOptions.body === undefined ? undefined : JSON.stringify(requestOptions.body),
      });
      const text = await response.text();

      return {
        status: response.status,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
        headers: response.headers,
      };
    },
    async stop() {
      await stack.close();
      await temporalServer.stop();
      await testDatabase?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
