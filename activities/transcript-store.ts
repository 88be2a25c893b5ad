import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { callMinutes, recordMeetingMinutes, transcriptMinutes } from '../lib/billing/usage';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { countSpeakers, countTurns } from '../lib/transcript/parse';
import type { ParsedTranscript, Utterance } from '../lib/transcript/types';

// Reading and writing transcripts, shared by the Recall.ai activity that stores them and the
// analysis activities that read them. Only ids cross into workflows; the text stays here.

const ZUtterancesSchema = z.array(
  z.object({
    speaker: z.string(),
    text: z.string(),
    startMs: z.number().optional(),
    endMs: z.number().optional(),
  }),
);

const dayMs = 24 * 60 * 60 * 1000;

export interface StoredTranscript {
  id: string;
  meetingId: string;
  organizationId: string;
  utterances: Utterance[];
}

export async function loadTranscript(prisma: PrismaClient, meetingId: string): Promise<StoredTranscript> {
  const row = await prisma.transcript.findUnique({ where: { meetingId } });
  if (row === null) {
    throw ApplicationFailure.nonRetryable(`No transcript is stored for meeting ${meetingId}`, ErrorCode.NotFound);
  }

  return {
    id: row.id,
    meetingId: row.meetingId,
    organizationId: row.organizationId,
    utterances: ZUtterancesSchema.parse(row.utterances),
  };
}

/**
 * Stores a meeting's transcript with its retention expiry, taken from the organisation's setting.
 * Storing again replaces the utterances, so a retried activity leaves one transcript.
 */
export async function storeTranscript(
  prisma: PrismaClient,
  meetingId: string,
  transcript: ParsedTranscript,
  now: Date = new Date(),
): Promise<{ transcriptId: string; turns: number; speakers: number }> {
  const meeting = await prisma.meeting.findUnique({
    where: { id: meetingId },
    select: { organizationId: true, organization: { select: { transcriptRetentionDays: true } } },
  });
  if (meeting === null) {
    throw ApplicationFailure.nonRetryable(`Meeting ${meetingId} does not exist`, ErrorCode.NotFound);
  }

  const utterances = transcript.utterances;
  const fields = {
    sourceFormat: transcript.format,
    utterances: utterances.map((utterance) => ({ ...utterance })),
    speakerCount: countSpeakers(utterances),
    turnCount: countTurns(utterances),
    hasTimings: utterances.length > 0 && utterances.every((u) => u.startMs !== undefined && u.endMs !== undefined),
    expiresAt: new Date(now.getTime() + meeting.organization.transcriptRetentionDays * dayMs),
  };
  const row = await prisma.transcript.upsert({
    where: { meetingId },
    create: { meetingId, organizationId: meeting.organizationId, ...fields },
    update: fields,
  });
  // Billing counts the transcript's span, or the call's length when the transcript has no timings.
  const minutes = transcriptMinutes(utterances) || (await callMinutes(prisma, meetingId));
  await recordMeetingMinutes(prisma, { organizationId: meeting.organizationId, meetingId, minutes });

  return { transcriptId: row.id, turns: row.turnCount, speakers: row.speakerCount };
}
