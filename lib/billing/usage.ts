import type { PrismaClient } from '../generated/prisma/client';
import type { Utterance } from '../transcript/types';
import { recordedMinutesMetric } from './entitlements';

// Metered usage: the recorded minutes of each meeting, counted once per meeting whatever the retries.

const minuteMs = 60_000;

/** Returns the minutes between the first utterance's start and the last one's end, rounded up; 0 without timings. */
export function transcriptMinutes(utterances: readonly Utterance[]): number {
  const starts = utterances.flatMap((utterance) => (utterance.startMs === undefined ? [] : [utterance.startMs]));
  const ends = utterances.flatMap((utterance) => (utterance.endMs === undefined ? [] : [utterance.endMs]));
  if (starts.length === 0 || ends.length === 0) {
    return 0;
  }

  return Math.max(0, Math.ceil((Math.max(...ends) - Math.min(...starts)) / minuteMs));
}

/**
 * Returns the call's length in whole minutes (rounded up) from the meeting's timeline: from the first
 * `recording` status to `call_ended`. Returns 0 when the timeline lacks either.
 */
export async function callMinutes(prisma: PrismaClient, meetingId: string): Promise<number> {
  const changes = await prisma.auditEvent.findMany({
    where: { subjectType: 'meeting', subjectId: meetingId, action: 'meeting.status_changed' },
    orderBy: { createdAt: 'asc' },
    select: { createdAt: true, data: true },
  });
  const reached = (status: string) => changes.find((change) => (change.data as { to?: string }).to === status);
  const started = reached('recording');
  const ended = reached('call_ended');
  if (started === undefined || ended === undefined) {
    return 0;
  }

  return Math.max(0, Math.ceil((ended.createdAt.getTime() - started.createdAt.getTime()) / minuteMs));
}

/** Records a meeting's recorded minutes once; a repeat for the same meeting keeps the first row. */
export async function recordMeetingMinutes(
  prisma: PrismaClient,
  input: { organizationId: string; meetingId: string; minutes: number; recordedAt?: Date },
): Promise<void> {
  await prisma.usageRecord.upsert({
    where: { meetingId_metric: { meetingId: input.meetingId, metric: recordedMinutesMetric } },
    create: {
      organizationId: input.organizationId,
      meetingId: input.meetingId,
      metric: recordedMinutesMetric,
      quantity: input.minutes,
      ...(input.recordedAt === undefined ? {} : { recordedAt: input.recordedAt }),
    },
    update: {},
  });
}
