import type { PrismaClient } from '../lib/generated/prisma/client';
import type { AnalysisStep } from './types';

// Each analysis step writes its own entry into call_intelligence.steps. Steps run in parallel, so the
// entry is merged in one SQL statement instead of a read-modify-write that could lose a sibling's entry.

export interface StepRecord {
  outcome: 'done' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  code?: string;
}

export async function recordStep(
  prisma: PrismaClient,
  meetingId: string,
  step: AnalysisStep,
  startedAt: Date,
  outcome: StepRecord['outcome'] = 'done',
  code?: string,
): Promise<void> {
  const finishedAt = new Date();
  const record: StepRecord = {
    outcome,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    ...(code === undefined ? {} : { code }),
  };

  await prisma.$executeRaw`
    UPDATE call_intelligence
       SET steps = steps || jsonb_build_object(${step}::text, ${JSON.stringify(record)}::jsonb),
           updated_at = now()
     WHERE meeting_id = ${meetingId}::uuid`;
}

/** Runs one step's work and records its timing; a failure is recorded by the workflow, which decides whether it is final. */
export async function timedStep<T>(
  prisma: PrismaClient,
  meetingId: string,
  step: AnalysisStep,
  work: () => Promise<T>,
): Promise<T> {
  const startedAt = new Date();
  const result = await work();
  await recordStep(prisma, meetingId, step, startedAt);

  return result;
}
