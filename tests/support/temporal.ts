import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { type EphemeralServerExecutable, TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { findTemporalCli, findTestServer } from '../../lib/temporal-binaries';
import { productSearchAttributeKeys } from '../../lib/search-attributes';

// Test environments on local Temporal servers. Each uses the binary that `npm run temporal:setup` built
// (or TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH) and otherwise lets the SDK download its own, which
// works only where the SDK's download host is reachable.

const { temporal } = proto;
const productSearchAttributes = [...productSearchAttributeKeys];

/** Starts a Temporal CLI dev server on 127.0.0.1 with the product's search attributes registered. */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const cliPath = await findTemporalCli();

  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executableFor(cliPath),
      ip: '127.0.0.1',
      searchAttributes: productSearchAttributes,
    },
  });
}

/** Starts the time-skipping test server, where a timer of days completes as soon as nothing else runs. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const testServerPath = await findTestServer();

  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executableFor(testServerPath) },
  });
  // The time-skipping server starts without custom search attributes, and an upsert of an unknown one
  // fails every workflow task ("search attribute MeetingStatus is not defined").
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      productSearchAttributes.map((key) => [
        key.name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });

  return env;
}

/** Polls `ready` for up to 20 s of real time; activities run asynchronously to signals and queries. */
export async function waitUntil(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Returns a bundler logger that prints only errors. */
export function quietBundlerLogger() {
  const ignore = () => {};

  return { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: console.error, log: ignore };
}

function executableFor(path: string | undefined): EphemeralServerExecutable | undefined {
  // undefined keeps the SDK's default, a cached download.
  return path ? { type: 'existing-path', path } : undefined;
}

const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * Registers vitest hooks that bundle the product's workflows once per file and give each test a fresh
 * time-skipping server, because skipped time is global to a server.
 * NOTE: one Java test server (1.31.0) shared across tests stalled in real time on the second test that waited
 * on a skipped timer. The cause was not found. A fresh server per test costs about 0.5 s.
 */
export function useTimeSkippingServerPerTest(): {
  env: () => TestWorkflowEnvironment;
  workflowBundle: () => WorkflowBundleWithSourceMap;
} {
  let env: TestWorkflowEnvironment | undefined;
  let workflowBundle: WorkflowBundleWithSourceMap | undefined;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger() });
  }, 120_000);
  beforeEach(async () => {
    env = await createTimeSkippingEnv();
  }, 120_000);
  afterEach(async () => {
    await env?.teardown();
    env = undefined;
  });

  return { env: () => env!, workflowBundle: () => workflowBundle! };
}
