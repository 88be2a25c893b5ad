import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import type { EngineFloorActivities } from './workflows/engine-floor';

// The engine's floor: the time from a client starting a workflow to holding its result, for a workflow
// that runs one no-op activity. It is measured on the same Temporal server and in the same process as
// the benchmark, so a post-call figure can be read as a multiple of what Temporal alone costs here.

const workflowsPath = fileURLToPath(new URL('./workflows/engine-floor.ts', import.meta.url));
const taskQueue = 'bench-engine-floor';

const activities: EngineFloorActivities = {
  async doNothing() {},
};

/** Times `rounds` round trips after `warmUpRounds` untimed ones and returns the timed durations in ms. */
export async function measureEngineFloor(options: {
  temporal: Client;
  address: string;
  namespace: string;
  rounds: number;
  warmUpRounds?: number;
}): Promise<number[]> {
  const connection = await NativeConnection.connect({ address: options.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
      activities,
    });

    return await worker.runUntil(async () => {
      const samples: number[] = [];
      const warmUpRounds = options.warmUpRounds ?? 3;
      for (let round = 0; round < warmUpRounds + options.rounds; round += 1) {
        const startedAt = performance.now();
        await options.temporal.workflow.execute('engineFloor', {
          taskQueue,
          workflowId: `bench-engine-floor-${randomUUID()}`,
        });
        if (round >= warmUpRounds) {
          samples.push(performance.now() - startedAt);
        }
      }

      return samples;
    });
  } finally {
    await connection.close();
  }
}
