import { proxyActivities } from '@temporalio/workflow';

// The smallest useful workflow: one activity that does nothing. Its round trip from the client is the
// engine's own floor on a given Temporal server, the cost every product workflow pays before doing work.

export interface EngineFloorActivities {
  doNothing(): Promise<void>;
}

const { doNothing } = proxyActivities<EngineFloorActivities>({ startToCloseTimeout: '10 seconds' });

/** Runs one no-op activity and completes. */
export async function engineFloor(): Promise<void> {
  await doNothing();
}
