// Signatures of the retention, account deletion and data export activities, as workflows see them.
// Inputs and results carry ids, times and counts only.

/** Tables the sweep clears besides transcripts, each by its own expiry rule. */
export type SweepTarget =
  'signing_requests' | 'sage_sessions' | 'data_exports' | 'usage_records' | 'application_logs' | 'webhook_events';

export interface BatchProgress {
  /** Rows deleted or cleared so far. */
  changed: number;
  batches: number;
  /** Duration of the slowest batch in milliseconds; each batch is one statement in its own transaction. */
  maxBatchMs: number;
}

/** Per provider: copies deleted, copies the provider no longer had, and requests that failed and stay pending. */
export type SubprocessorCounts = Record<string, { deleted: number; alreadyGone: number; failed: number }>;

export interface RetentionActivities {
  startRetentionRun(input: { workflowId: string; scheduledForMs: number }): Promise<{ runId: string }>;
  sweepExpiredTranscripts(input: { runId: string; asOfMs: number; batchSize: number }): Promise<BatchProgress>;
  sweepExpiredRows(input: { target: SweepTarget; asOfMs: number; batchSize: number }): Promise<BatchProgress>;
  deleteSubprocessorCopies(input: { runId: string }): Promise<SubprocessorCounts>;
  finishRetentionRun(input: { runId: string; counts: Record<string, number> }): Promise<void>;
}

export interface AccountDeletionActivities {
  markAccountDeletionStarted(input: { requestId: string }): Promise<{ proceed: boolean }>;
  markAccountDeletionCancelled(input: { requestId: string }): Promise<void>;
  /** Counts per outcome; every connection is deleted whatever its provider returned. */
  revokeAccountConnections(input: { userId: string }): Promise<{
    revoked: number;
    alreadyRevoked: number;
    notSupported: number;
    failed: number;
  }>;
  deleteAccountSubprocessorCopies(input: { userId: string }): Promise<SubprocessorCounts>;
  deleteAccountData(input: {
    userId: string;
    requestId: string;
    subprocessors: SubprocessorCounts;
    connectionsRevoked: number;
  }): Promise<{ auditId: string | null; rows: number }>;
}

export interface DataExportActivities {
  buildAccountArchive(input: { exportId: string }): Promise<{ tables: number; rows: number; bytes: number }>;
  publishAccountArchive(input: { exportId: string; idempotencyKey: string }): Promise<{ emailed: boolean }>;
  markExportFailed(input: { exportId: string }): Promise<void>;
}
