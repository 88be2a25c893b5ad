import { randomInt } from 'node:crypto';
import type { AnalysisStep } from '../activities/types';
import type { StepRecord } from '../activities/step-timings';
import { mintLocalToken } from '../api/auth';
import type { ParsedTranscript } from '../lib/transcript/types';
import { DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import type { Stack } from '../scripts/stack';
import { meetingWorkflowId } from '../workflows/meeting-lifecycle';
import { analysisWorkflowId } from '../workflows/post-call-analysis';

// One timed call through the product's own entry points. The sandbox plays the transcript as a Recall.ai
// call, and the rep's token schedules the meeting over the API. The times are read afterwards from rows the
// product writes anyway (webhook_events, audit_events, call_intelligence). The benchmark only waits on the
// two workflows' results, so it adds no polling load while the call is processed.

export const analysisSteps: readonly AnalysisStep[] = [
  'metrics',
  'claude',
  'audio_intelligence',
  'embeddings',
  'prospect_intelligence',
];

// The clock starts when the API stores the `bot.call_ended` webhook (webhook_events.received_at), the
// moment the product learns that the call ended. The meeting's call_ended status row comes later and is
// not always written: when call_ended and done arrive while an earlier status is being recorded, the
// meeting lifecycle workflow moves from recording straight to transcript_stored.
export interface PostCallTimings {
  meetingId: string;
  turns: number;
  /** call_ended webhook → meeting status row changed to call_ended, or null when that row was never written. */
  callEndedRowMs: number | null;
  /** call_ended webhook → transcript_stored status row (the Recall transcript fetched, parsed and stored). */
  transcriptStoredMs: number;
  /** call_ended webhook → call_intelligence row created by the analysis workflow's first activity. */
  analysisStartedMs: number;
  /** Each analysis step's own recorded duration. The audio_intelligence entry covers fetching and storing
   * AssemblyAI's result only, not the submission or the wait for its webhook. */
  stepsMs: Record<AnalysisStep, number>;
  /** call_ended webhook → each step's recorded finish. */
  stepsFinishedMs: Record<AnalysisStep, number>;
  /** call_ended webhook → call_intelligence.analysed_at: the end-to-end figure. */
  endToEndMs: number;
  /** call_ended status row → analysed_at, or null when that row was never written. */
  fromCallEndedRowMs: number | null;
}

const runTimeoutMs = 120_000;

/** Plays `transcript` as one recorded call and returns its timings once the intelligence is stored. */
export async function runTimedCall(stack: Stack, transcript: ParsedTranscript): Promise<PostCallTimings> {
  const meetingId = await scheduleRecordedCall(stack, transcript);
  await withTimeout(
    (async () => {
      await stack.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).result();
      await stack.temporal.workflow.getHandle(analysisWorkflowId(meetingId)).result();
    })(),
    runTimeoutMs,
    `Meeting ${meetingId} was not analysed within ${runTimeoutMs / 1000} s`,
  );

  return readTimings(stack, meetingId);
}

async function scheduleRecordedCall(stack: Stack, transcript: ParsedTranscript): Promise<string> {
  // A fresh meeting address per call, so the sandbox plays this transcript for this meeting only.
  const meetingUrl = `https://zoom.us/j/${randomInt(1e9, 1e10)}`;
  await postJson(`${stack.sandbox.url}/_sandbox/recall/scenarios`, { meetingUrl, utterances: transcript.utterances });

  const token = await mintLocalToken(stack.config, {
    userId: DEMO_REP_USER_ID,
    organizationId: DEMO_ORGANIZATION_ID,
    role: 'rep',
  });
  const created = (await postJson(
    `${stack.apiUrl}/api/meetings`,
    { meetingUrl, mode: 'record_only', title: 'Benchmark call', prospectId: DEMO_PROSPECT_ID },
    token,
  )) as { meeting: { id: string } };

  return created.meeting.id;
}

async function readTimings(stack: Stack, meetingId: string): Promise<PostCallTimings> {
  const prisma = stack.database.prisma;
  const [webhook, statusChanges, intelligence, transcript] = await Promise.all([
    prisma.webhookEvent.findFirst({ where: { provider: 'recall', subjectId: meetingId, eventType: 'bot.call_ended' } }),
    prisma.auditEvent.findMany({
      where: { action: 'meeting.status_changed', subjectType: 'meeting', subjectId: meetingId },
    }),
    prisma.callIntelligence.findUnique({ where: { meetingId } }),
    prisma.transcript.findUnique({ where: { meetingId }, select: { turnCount: true } }),
  ]);
  const statusReachedAt = (status: string) =>
    statusChanges.find((row) => (row.data as { to?: unknown }).to === status)?.createdAt;
  const callEndedAt = statusReachedAt('call_ended');
  const transcriptStoredAt = statusReachedAt('transcript_stored');

  if (webhook === null) {
    throw new Error(`Meeting ${meetingId} has no stored bot.call_ended webhook`);
  }
  if (transcriptStoredAt === undefined || transcript === null) {
    const reached = statusChanges.map((row) => (row.data as { to?: unknown }).to).join(', ');
    throw new Error(`Meeting ${meetingId} has no transcript_stored status row or no transcript (statuses: ${reached})`);
  }
  if (intelligence?.status !== 'analysed' || intelligence.analysedAt === null) {
    throw new Error(
      `Meeting ${meetingId} ended with analysis status ${intelligence?.status ?? 'none'} (${intelligence?.failureCode ?? 'no code'})`,
    );
  }

  const steps = intelligence.steps as Partial<Record<AnalysisStep, StepRecord>>;
  const since = (start: Date, end: Date) => end.getTime() - start.getTime();
  const stepsMs = {} as Record<AnalysisStep, number>;
  const stepsFinishedMs = {} as Record<AnalysisStep, number>;
  for (const step of analysisSteps) {
    const record = steps[step];
    if (record?.outcome !== 'done') {
      throw new Error(
        `Meeting ${meetingId}: analysis step ${step} ended ${record?.outcome ?? 'unrecorded'} (${record?.code ?? 'no code'})`,
      );
    }
    stepsMs[step] = record.durationMs;
    stepsFinishedMs[step] = since(webhook.receivedAt, new Date(record.finishedAt));
  }

  return {
    meetingId,
    turns: transcript.turnCount,
    callEndedRowMs: callEndedAt === undefined ? null : since(webhook.receivedAt, callEndedAt),
    transcriptStoredMs: since(webhook.receivedAt, transcriptStoredAt),
    analysisStartedMs: since(webhook.receivedAt, intelligence.createdAt),
    stepsMs,
    stepsFinishedMs,
    endToEndMs: since(webhook.receivedAt, intelligence.analysedAt),
    fromCallEndedRowMs: callEndedAt === undefined ? null : since(callEndedAt, intelligence.analysedAt),
  };
}

async function postJson(url: string, body: unknown, bearerToken?: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(bearerToken ? { Authorization: `Bearer ${bearerToken}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`POST ${url} failed with ${response.status}: ${text}`);
  }

  return text === '' ? undefined : JSON.parse(text);
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
