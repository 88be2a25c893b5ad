import { type EphemeralServerExecutable, TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli, findTestServer } from '../../lib/temporal-binaries';
import { analysisStatusKey, meetingIdKey, meetingStatusKey, organizationIdKey } from '../../lib/search-attributes';

// Test environments on local Temporal servers. Each uses the binary that `npm run temporal:setup` built
// (or TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH) and otherwise lets the SDK download its own, which
// works only where the SDK's download host is reachable.

const productSearchAttributes = [meetingIdKey, organizationIdKey, meetingStatusKey, analysisStatusKey];

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

  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executableFor(testServerPath) },
  });
}

function executableFor(path: string | undefined): EphemeralServerExecutable | undefined {
  // undefined keeps the SDK's default, a cached download.
  return path ? { type: 'existing-path', path } : undefined;
}
