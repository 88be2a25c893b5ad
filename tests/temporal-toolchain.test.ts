import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevServerStartError, findFreeLoopbackPorts, startDevServer } from '../lib/dev-server';
import { findTemporalCli, findTestServer } from '../lib/temporal-binaries';
import { createDevServerEnv, createTimeSkippingEnv } from './support/temporal';
import type { tagMeeting, waitForJoinTime } from './workflows/toolchain';

// Proves the local Temporal toolchain end to end: the time-skipping test server jumps over long timers,
// and the CLI dev server registers the product's search attributes, serves visibility queries and stops.
// Run `npm run temporal:setup` first: without the binaries these tests fail and name that command.

const workflowsPath = fileURLToPath(new URL('./workflows/toolchain.ts', import.meta.url));
let workflowBundle: WorkflowBundleWithSourceMap;

// Worker state changes at INFO would bury a failure's output.
Runtime.install({ logger: new DefaultLogger('WARN') });

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger() });
}, 60_000);

describe('time-skipping test server', () => {
  it('completes a one-day join timer in seconds', async () => {
    expect(await findTestServer(), 'run `npm run temporal:setup` to build the test server').toBeDefined();
    const env = await createTimeSkippingEnv();
    try {
      const taskQueue = `toolchain-${randomUUID()}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
      const startedAt = Date.now();

      const result = await worker.runUntil(
        env.client.workflow.execute<typeof waitForJoinTime>('waitForJoinTime', {
          taskQueue,
          workflowId: `meeting-${randomUUID()}`,
          args: ['1 day'],
        }),
      );

      expect(result).toBe('join-time-reached');
      expect(Date.now() - startedAt).toBeLessThan(30_000);
    } finally {
      await env.teardown();
    }
  }, 120_000);
});

describe('dev server', () => {
  let cliPath: string;
  let workDir: string;

  beforeAll(async () => {
    const found = await findTemporalCli();
    if (!found) throw new Error('Temporal CLI not found: run `npm run temporal:setup`');
    cliPath = found;
    workDir = await mkdtemp(join(tmpdir(), 'sales-blitz-dev-server-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('runs a workflow findable by MeetingId and stops cleanly', async () => {
    const [port, uiPort] = await findFreeLoopbackPorts(2);
    const server = await startDevServer({
      cliPath,
      dbFile: join(workDir, 'visibility.sqlite'),
      port: port!,
      uiPort: uiPort!,
    });
    try {
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect((await fetch(server.webUrl)).status).toBe(200);

      const meetingId = `meeting-${randomUUID()}`;
      const taskQueue = `toolchain-${randomUUID()}`;
      const nativeConnection = await NativeConnection.connect({ address: server.address });
      const connection = await Connection.connect({ address: server.address });
      try {
        const client = new Client({ connection });
        const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle });
        const result = await worker.runUntil(
          client.workflow.execute<typeof tagMeeting>('tagMeeting', {
            taskQueue,
            workflowId: meetingId,
            args: [meetingId],
          }),
        );
        expect(result).toBe(meetingId);

        const found = await pollVisibility(client, `MeetingId = "${meetingId}" AND MeetingStatus = "scheduled"`);
        expect(found).toEqual([meetingId]);
        expect(await pollVisibility(client, `MeetingId = "meeting-that-does-not-exist"`, 0)).toEqual([]);
      } finally {
        await connection.close();
        await nativeConnection.close();
      }
    } finally {
      await server.stop();
    }

    expect(await canListen(port!)).toBe(true);
    expect(await canListen(uiPort!)).toBe(true);
  }, 120_000);

  it('keeps workflows across a restart on the same SQLite file', async () => {
    const dbFile = join(workDir, 'restart.sqlite');
    const [port, uiPort] = await findFreeLoopbackPorts(2);
    const workflowId = `meeting-${randomUUID()}`;

    const first = await startDevServer({ cliPath, dbFile, port: port!, uiPort: uiPort! });
    try {
      const connection = await Connection.connect({ address: first.address });
      const client = new Client({ connection });
      await client.workflow.start<typeof waitForJoinTime>('waitForJoinTime', {
        taskQueue: 'no-worker-polls-this',
        workflowId,
        args: ['1 day'],
      });
      await connection.close();
    } finally {
      await first.stop();
    }

    const second = await startDevServer({ cliPath, dbFile, port: port!, uiPort: uiPort! });
    try {
      const connection = await Connection.connect({ address: second.address });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      await connection.close();

      expect(description.status.name).toBe('RUNNING');
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('names the port when the frontend port is taken', async () => {
    const [port, uiPort] = await findFreeLoopbackPorts(2);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const start = startDevServer({ cliPath, dbFile: join(workDir, 'busy.sqlite'), port: port!, uiPort: uiPort! });

      await expect(start).rejects.toBeInstanceOf(DevServerStartError);
      await expect(start).rejects.toThrow(`port 127.0.0.1:${port} is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('createDevServerEnv registers the product search attributes', async () => {
    const env = await createDevServerEnv();
    try {
      const response = await env.connection.operatorService.listSearchAttributes({
        namespace: env.namespace ?? 'default',
      });

      expect(Object.keys(response.customAttributes ?? {})).toEqual(
        expect.arrayContaining(['MeetingId', 'OrganizationId', 'MeetingStatus', 'AnalysisStatus']),
      );
    } finally {
      await env.teardown();
    }
  }, 120_000);
});

/** Lists workflow ids matching `query`, retrying while visibility catches up, until at least `minimum` match. */
async function pollVisibility(client: Client, query: string, minimum = 1): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ids: string[] = [];
    for await (const execution of client.workflow.list({ query })) {
      ids.push(execution.workflowId);
    }
    if (ids.length >= minimum || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });

    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

function quietBundlerLogger() {
  const ignore = () => {};

  return { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: console.error, log: ignore };
}
