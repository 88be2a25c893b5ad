import { Context, log } from '@temporalio/activity';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { BatchProgress, RetentionActivities, SweepTarget } from './retention-types';
import { sendPendingDeletions, type SubprocessorClients } from './subprocessor-deletion';

// The daily retention sweep's database work. Each batch is one statement in its own transaction that
// locks at most `batchSize` rows (FOR UPDATE SKIP LOCKED, so rows a user is changing are left for the next
// batch), which keeps every lock short. After each batch the activity heartbeats its progress; a retried
// attempt continues from the last heartbeat's counts, and its conditions find only what is left.

const logRetentionDays = 90;
const dayMs = 86_400_000;

// Deletes one batch of expired transcripts and, in the same statement, records each copy a sub-processor
// holds (the meeting's Recall bot, the AssemblyAI transcript) as a pending deletion, so none is forgotten
// once the transcript row is gone. $1 as-of time, $2 batch size, $3 retention run id.
// NOTE: `expires_at` is set from the company's retention when the transcript is stored; a change of the
// company's retention days must recompute it, because the sweep reads `expires_at` only (it is indexed).
const transcriptBatchSql = `
WITH batch AS (
  SELECT id, meeting_id, organization_id FROM transcripts
  WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
), copies AS (
  INSERT INTO subprocessor_deletions (id, organization_id, provider, external_id, reason, run_id)
  SELECT gen_random_uuid(), b.organization_id, 'recall', m.bot_id, 'retention', $3::uuid
    FROM batch b JOIN meetings m ON m.id = b.meeting_id WHERE m.bot_id IS NOT NULL
  UNION ALL
  SELECT gen_random_uuid(), b.organization_id, 'assemblyai', c.audio_transcript_id, 'retention', $3::uuid
    FROM batch b JOIN call_intelligence c ON c.meeting_id = b.meeting_id WHERE c.audio_transcript_id IS NOT NULL
  ON CONFLICT (provider, external_id) DO NOTHING
)
DELETE FROM transcripts WHERE id IN (SELECT id FROM batch)`;

// $1 cut-off time, $2 batch size. Expired signing requests keep their row as the signing record, but the
// token hash is overwritten with a value no SHA-256 hex digest can equal, so the link can never match again.
const sweepSql: Record<SweepTarget, { sql: string; retentionDays?: number }> = {
  signing_requests: {
    sql: `UPDATE signing_requests SET status = 'expired', token_hash = 'expired:' || id WHERE id IN (
      SELECT id FROM signing_requests WHERE status = 'pending' AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  sage_sessions: {
    sql: `UPDATE meetings SET sage_session_hash = NULL WHERE id IN (
      SELECT id FROM meetings WHERE sage_session_hash IS NOT NULL AND sage_session_expires_at <= $1
      LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  data_exports: {
    sql: `UPDATE data_exports SET status = 'expired', archive = NULL, token_hash = NULL WHERE id IN (
      SELECT id FROM data_exports WHERE status = 'ready' AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  usage_records: {
    sql: `DELETE FROM usage_records WHERE id IN (
      SELECT id FROM usage_records WHERE recorded_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    retentionDays: logRetentionDays,
  },
  application_logs: {
    sql: `DELETE FROM application_logs WHERE id IN (
      SELECT id FROM application_logs WHERE created_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    retentionDays: logRetentionDays,
  },
  webhook_events: {
    sql: `DELETE FROM webhook_events WHERE id IN (
      SELECT id FROM webhook_events WHERE received_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    retentionDays: logRetentionDays,
  },
};

export interface RetentionDependencies extends SubprocessorClients {
  prisma: PrismaClient;
}

export function createRetentionActivities(deps: RetentionDependencies): RetentionActivities {
  const { prisma } = deps;

  return {
    async startRetentionRun({ workflowId, scheduledForMs }) {
      const run = await prisma.retentionRun.upsert({
        where: { workflowId },
        create: { workflowId, scheduledFor: new Date(scheduledForMs) },
        update: {},
      });

      return { runId: run.id };
    },

    async sweepExpiredTranscripts({ runId, asOfMs, batchSize }) {
      return runBatches(
        (limit) => prisma.$executeRawUnsafe(transcriptBatchSql, new Date(asOfMs), limit, runId),
        batchSize,
      );
    },

    async sweepExpiredRows({ target, asOfMs, batchSize }) {
      const { sql, retentionDays } = sweepSql[target];
      const cutoff = new Date(asOfMs - (retentionDays ?? 0) * dayMs);

      return runBatches((limit) => prisma.$executeRawUnsafe(sql, cutoff, limit), batchSize);
    },

    async deleteSubprocessorCopies({ runId }) {
      // Every pending copy is sent, so copies that failed in earlier runs or account deletions are retried too.
      const counts = await sendPendingDeletions(prisma, deps, {});
      log.info('Sub-processor deletions sent', { runId });

      return counts;
    },

    async finishRetentionRun({ runId, counts }) {
      await prisma.retentionRun.update({ where: { id: runId }, data: { counts, finishedAt: new Date() } });
      log.info('Retention run finished', { runId, ...counts });
    },
  };
}

/** Runs `batch` until it changes fewer rows than `batchSize`, heartbeating the running totals after each one. */
export async function runBatches(batch: (limit: number) => Promise<number>, batchSize: number): Promise<BatchProgress> {
  const context = Context.current();
  const resumed = context.info.heartbeatDetails as BatchProgress | undefined;
  const progress: BatchProgress = resumed ?? { changed: 0, batches: 0, maxBatchMs: 0 };
  for (;;) {
    const startedAt = performance.now();
    const changed = await batch(batchSize);
    progress.maxBatchMs = Math.max(progress.maxBatchMs, performance.now() - startedAt);
    progress.changed += changed;
    progress.batches += 1;
    context.heartbeat(progress);
    if (changed < batchSize) {
      return progress;
    }
  }
}
