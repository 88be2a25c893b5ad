import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities, SubprocessorCounts, SweepTarget } from '../activities/retention-types';

// The daily retention sweep, started by the `retention-sweep` Schedule at 03:00 UTC. It deletes what has
// outlived its retention as of the run's scheduled time, asks sub-processors to delete their copies of the
// deleted transcripts, and records one `retention_runs` row with counts per table and per provider.

export interface RetentionSweepInput {
  /** Rows per statement; 5,000 by default. */
  batchSize?: number;
}

export type RetentionSweepResult = Record<string, number>;

export const retentionScheduleId = 'retention-sweep';

/** Set by Temporal on every run a Schedule starts: the action's nominal time, not the (possibly late) start. */
const scheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const defaultBatchSize = 5_000;

const { startRetentionRun, finishRetentionRun } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '30 seconds',
});

// Long sweeps report progress after every batch; a worker lost mid-sweep is noticed within a minute and the
// retry resumes from the last heartbeat.
const sweep = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
});

const otherTargets: SweepTarget[] = [
  'signing_requests',
  'sage_sessions',
  'data_exports',
  'usage_records',
  'application_logs',
  'webhook_events',
];

export async function retentionSweep(input: RetentionSweepInput = {}): Promise<RetentionSweepResult> {
  const info = workflowInfo();
  const scheduledFor = info.typedSearchAttributes.get(scheduledStartTimeKey) ?? info.startTime;
  const asOfMs = scheduledFor.getTime();
  const batchSize = input.batchSize ?? defaultBatchSize;
  const { runId } = await startRetentionRun({ workflowId: info.workflowId, scheduledForMs: asOfMs });

  const counts: RetentionSweepResult = {};
  counts.transcripts = (await sweep.sweepExpiredTranscripts({ runId, asOfMs, batchSize })).changed;
  for (const target of otherTargets) {
    counts[target] = (await sweep.sweepExpiredRows({ target, asOfMs, batchSize })).changed;
  }
  addSubprocessorCounts(counts, await sweep.deleteSubprocessorCopies({ runId }));

  await finishRetentionRun({ runId, counts });

  return counts;
}

function addSubprocessorCounts(counts: RetentionSweepResult, subprocessors: SubprocessorCounts): void {
  for (const [key, tally] of Object.entries(subprocessors)) {
    counts[key] = tally.deleted;
    counts[`${key}:already_gone`] = tally.alreadyGone;
    counts[`${key}:failed`] = tally.failed;
  }
}
