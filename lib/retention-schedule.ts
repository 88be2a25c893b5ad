import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { retentionScheduleId } from '../workflows/retention-sweep';

// The Temporal Schedule that starts the retention sweep every day at 03:00 UTC. Every worker calls
// `ensureRetentionSchedule` at start: the first creates the Schedule, later ones bring its spec, action and
// policies up to date and keep its paused state and notes, so there is never a second Schedule.

/**
 * A run missed while the cluster or every worker was down is started once it is back, if it is less than
 * 23 hours late. Runs are 24 hours apart, so at most one missed run is ever caught up; older ones are dropped
 * because the next run deletes everything they would have.
 */
export const retentionCatchupWindow = '23 hours';

export function retentionScheduleOptions(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: retentionScheduleId,
    // Time zone stated explicitly: a calendar without one is read in UTC by the server, but a reader should not
    // have to know that, and daylight-saving changes of any local zone must not move or repeat a run.
    spec: { calendars: [{ hour: 3, minute: 0, comment: 'daily at 03:00 UTC' }], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: 'retentionSweep',
      // The server appends the scheduled time, e.g. retention-sweep-2026-03-08T03:00:00Z.
      workflowId: retentionScheduleId,
      taskQueue,
      args: [{}],
    },
    policies: {
      // A sweep still running at the next 03:00 is left to finish; the skipped run's work waits one day.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: retentionCatchupWindow,
      pauseOnFailure: false,
    },
  };
}

/** Creates the retention Schedule, or updates the existing one in place; returns which happened. */
export async function ensureRetentionSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  const options = retentionScheduleOptions(taskQueue);
  try {
    await client.schedule.create(options);

    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) {
      throw error;
    }
  }
  await client.schedule.getHandle(retentionScheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
  }));

  return 'updated';
}
