import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure, log } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';
import type { Prisma, PrismaClient } from '../lib/generated/prisma/client';
import { computeConversationMetrics } from '../lib/transcript/metrics';
import { meddpiccFields } from '../lib/schemas/intelligence';
import { advanceStatus, type MeetingStatus } from '../workflows/meeting-status';
import { recordStep, timedStep } from './step-timings';
import { loadTranscript } from './transcript-store';
import type { AnalysisActivities, MeetingActivities, MeetingPlan } from './types';

// Activities on the product's own database. Every write is safe to repeat: a retried activity leaves
// the same rows as a single run.

type DatabaseActivities = Pick<
  MeetingActivities,
  'loadMeetingPlan' | 'recordMeetingStatus' | 'recordBot' | 'issueSageSession' | 'expireSageSession'
> &
  Pick<
    AnalysisActivities,
    | 'startAnalysis'
    | 'computeConversationMetrics'
    | 'updateProspectIntelligence'
    | 'recordAnalysisStep'
    | 'finishAnalysis'
  >;

export function createDatabaseActivities({ prisma }: { prisma: PrismaClient }): DatabaseActivities {
  return {
    async loadMeetingPlan(meetingId): Promise<MeetingPlan> {
      const meeting = await prisma.meeting.findUnique({ where: { id: meetingId } });
      if (meeting === null) {
        throw ApplicationFailure.nonRetryable(`Meeting ${meetingId} does not exist`, ErrorCode.NotFound);
      }

      return {
        meetingId,
        organizationId: meeting.organizationId,
        meetingUrl: meeting.meetingUrl,
        mode: meeting.mode,
        joinAtMs: meeting.joinAt.getTime(),
      };
    },

    async recordMeetingStatus({ meetingId, status, failure, passedThrough = [] }) {
      for (const reached of passedThrough) {
        await changeMeetingStatus(prisma, meetingId, reached);
      }
      await changeMeetingStatus(prisma, meetingId, status, failure);
    },

    async recordBot({ meetingId, botId }) {
      await prisma.meeting.update({ where: { id: meetingId }, data: { botId } });
    },

    async issueSageSession({ meetingId }) {
      // The session id goes to the Sage render page only; the database keeps its hash.
      const sessionId = randomBytes(32).toString('base64url');
      await prisma.meeting.update({
        where: { id: meetingId },
        data: { sageSessionHash: createHash('sha256').update(sessionId).digest('hex'), sageSessionExpiresAt: null },
      });

      return { expiresWhen: 'call_ended' as const };
    },

    async expireSageSession({ meetingId }) {
      await prisma.meeting.updateMany({
        where: { id: meetingId, sageSessionHash: { not: null }, sageSessionExpiresAt: null },
        data: { sageSessionExpiresAt: new Date() },
      });
    },

    async startAnalysis({ meetingId }) {
      const meeting = await prisma.meeting.findUniqueOrThrow({ where: { id: meetingId } });
      await prisma.callIntelligence.upsert({
        where: { meetingId },
        create: { meetingId, organizationId: meeting.organizationId, status: 'running' },
        update: { status: 'running', failureCode: null },
      });
      await changeMeetingStatus(prisma, meetingId, 'analysing');
    },

    async computeConversationMetrics({ meetingId }) {
      await timedStep(prisma, meetingId, 'metrics', async () => {
        const transcript = await loadTranscript(prisma, meetingId);
        const metrics = computeConversationMetrics(transcript.utterances);
        await prisma.callIntelligence.update({
          where: { meetingId },
          data: { metrics: metrics as unknown as Prisma.InputJsonValue },
        });
      });
    },

    async updateProspectIntelligence({ meetingId }) {
      await timedStep(prisma, meetingId, 'prospect_intelligence', async () => {
        const meeting = await prisma.meeting.findUniqueOrThrow({
          where: { id: meetingId },
          include: { callIntelligence: true },
        });
        if (meeting.prospectId === null || meeting.callIntelligence === null) {
          return;
        }
        await mergeProspectIntelligence(prisma, {
          prospectId: meeting.prospectId,
          organizationId: meeting.organizationId,
          meetingId,
          qualification: meeting.callIntelligence.qualification,
        });
      });
    },

    async recordAnalysisStep({ meetingId, step, outcome, code }) {
      await recordStep(prisma, meetingId, step, new Date(), outcome, code);
    },

    async finishAnalysis({ meetingId, outcome, failureCode }) {
      await prisma.callIntelligence.update({
        where: { meetingId },
        data: {
          status: outcome,
          failureCode: failureCode ?? null,
          analysedAt: outcome === 'analysed' ? new Date() : null,
        },
      });
      await changeMeetingStatus(
        prisma,
        meetingId,
        outcome,
        outcome === 'failed'
          ? { code: failureCode ?? 'analysis_failed', message: 'Post-call analysis failed' }
          : undefined,
      );
    },
  };
}

const terminal: ReadonlySet<string> = new Set(['analysed', 'failed', 'cancelled']);

/**
 * Moves a meeting to `status` and writes the audit row that the meeting's timeline is read from. A
 * meeting never moves backwards and never leaves a terminal status, so a repeated or late call changes nothing.
 */
async function changeMeetingStatus(
  prisma: PrismaClient,
  meetingId: string,
  status: MeetingStatus,
  failure?: { code: string; message: string },
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const meeting = await tx.meeting.findUniqueOrThrow({
      where: { id: meetingId },
      select: { status: true, organizationId: true },
    });
    const current = meeting.status;
    if (terminal.has(current)) {
      return;
    }
    // Failing or cancelling may happen from any live status; every other change only moves forward.
    const next = status === 'failed' || status === 'cancelled' ? status : advanceStatus(current, status);
    if (next === current) {
      return;
    }
    await tx.meeting.update({
      where: { id: meetingId },
      data: {
        status: next,
        statusChangedAt: new Date(),
        failureCode: failure?.code ?? null,
        failureMessage: failure?.message ?? null,
      },
    });
    await tx.auditEvent.create({
      data: {
        organizationId: meeting.organizationId,
        action: 'meeting.status_changed',
        subjectType: 'meeting',
        subjectId: meetingId,
        data: { from: current, to: next, ...(failure ? { failureCode: failure.code } : {}) },
      },
    });
    log.info('Meeting status changed', { meetingId, from: current, to: next });
  });
}

interface QualificationField {
  status: 'identified' | 'partial' | 'unknown';
  summary: string;
}

/**
 * Folds one call's qualification into the prospect's running record. A field keeps its strongest known
 * state; a later call replaces it only with an equal or stronger one. Each meeting is merged once.
 */
async function mergeProspectIntelligence(
  prisma: PrismaClient,
  input: { prospectId: string; organizationId: string; meetingId: string; qualification: Prisma.JsonValue },
): Promise<void> {
  const strength = { unknown: 0, partial: 1, identified: 2 } as const;
  const incoming = (input.qualification ?? {}) as { fields?: Record<string, QualificationField>; score?: number };

  await prisma.$transaction(async (tx) => {
    const existing = await tx.prospectIntelligence.findUnique({ where: { prospectId: input.prospectId } });
    if (existing?.meetingIds.includes(input.meetingId)) {
      return;
    }
    const merged = {
      ...((existing?.qualification ?? {}) as unknown as Record<string, QualificationField & { meetingId: string }>),
    };
    for (const field of meddpiccFields) {
      const next = incoming.fields?.[field];
      const current = merged[field];
      if (next !== undefined && (current === undefined || strength[next.status] >= strength[current.status])) {
        merged[field] = { status: next.status, summary: next.summary, meetingId: input.meetingId };
      }
    }
    const data = {
      meetingCount: (existing?.meetingCount ?? 0) + 1,
      meetingIds: [...(existing?.meetingIds ?? []), input.meetingId],
      qualification: merged as unknown as Prisma.InputJsonValue,
      latestScore: incoming.score ?? existing?.latestScore ?? null,
    };
    await tx.prospectIntelligence.upsert({
      where: { prospectId: input.prospectId },
      create: { prospectId: input.prospectId, organizationId: input.organizationId, ...data },
      update: data,
    });
  });
}
