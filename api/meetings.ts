import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { assertMeetingAllowed } from '../lib/billing/entitlements';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { meetingIdKey, meetingStatusKey, organizationIdKey } from '../lib/search-attributes';
import type { meetingLifecycle } from '../workflows/meeting-lifecycle';
import { cancelMeetingSignal, meetingWorkflowId } from '../workflows/meeting-lifecycle';
import { analysisWorkflowId } from '../workflows/post-call-analysis';
import { type Principal, principalOf } from './auth';
import { parseOrThrow } from './errors';
import { meetingLinks } from './temporal-links';

// Meetings: schedule a recorded call, read it and its intelligence, cancel it. Every query is scoped
// to the caller's organisation, so another organisation's meeting is simply not found.

const platformHosts: Array<[RegExp, 'zoom' | 'google_meet' | 'microsoft_teams' | 'webex']> = [
  [/(^|\.)zoom\.(us|com)$/i, 'zoom'],
  [/^meet\.google\.com$/i, 'google_meet'],
  [/(^|\.)teams\.(microsoft|live)\.com$/i, 'microsoft_teams'],
  [/(^|\.)webex\.com$/i, 'webex'],
];

export function platformForUrl(url: string): 'zoom' | 'google_meet' | 'microsoft_teams' | 'webex' | 'other' {
  const host = new URL(url).hostname;

  return platformHosts.find(([pattern]) => pattern.test(host))?.[1] ?? 'other';
}

export const ZCreateMeetingSchema = z
  .object({
    meetingUrl: z.url({ protocol: /^https?$/ }).max(2048),
    mode: z.enum(['record_only', 'assisted', 'sage_led']).default('record_only'),
    joinAt: z.iso.datetime({ offset: true }).optional(),
    title: z.string().trim().min(1).max(200).optional(),
    prospectId: z.uuid().optional(),
    prospect: z
      .object({
        name: z.string().trim().min(1).max(200),
        company: z.string().trim().max(200).optional(),
        email: z.email().max(320).optional(),
      })
      .optional(),
  })
  .strict()
  .refine((body) => !(body.prospectId && body.prospect), { message: 'Give prospectId or prospect, not both' });

const ZMeetingIdSchema = z.uuid();

export interface MeetingRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
}

export function meetingRoutes(deps: MeetingRouteDeps): Router {
  const router = Router();

  router.post('/', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const body = parseOrThrow(ZCreateMeetingSchema, request.body);
    const meeting = await createMeeting(deps, principal, body);
    const links = meetingLinks(deps.config, meeting.id);

    response
      .status(201)
      .location(`/api/meetings/${meeting.id}`)
      .json({ meeting: presentMeeting(meeting), ...links });
  });

  router.get('/:id', async (request, response) => {
    const principal = principalOf(request);
    const meeting = await findMeeting(deps.prisma, principal, request.params.id);
    const changes = await deps.prisma.auditEvent.findMany({
      where: { subjectType: 'meeting', subjectId: meeting.id, action: 'meeting.status_changed' },
      orderBy: { createdAt: 'asc' },
      select: { createdAt: true, data: true },
    });
    const timeline = changes.map((change) => ({ status: (change.data as { to?: string }).to, at: change.createdAt }));

    response.json({ meeting: { ...presentMeeting(meeting), timeline }, ...meetingLinks(deps.config, meeting.id) });
  });

  router.get('/:id/intelligence', async (request, response) => {
    const principal = principalOf(request);
    const meeting = await findMeeting(deps.prisma, principal, request.params.id);
    const intelligence = meeting.callIntelligence;

    response.json({
      meetingId: meeting.id,
      meetingStatus: meeting.status,
      status: intelligence?.status ?? 'pending',
      transcript: meeting.transcript
        ? {
            speakers: meeting.transcript.speakerCount,
            turns: meeting.transcript.turnCount,
            expiresAt: meeting.transcript.expiresAt,
          }
        : null,
      metrics: intelligence?.metrics ?? null,
      summary: intelligence?.summary ?? null,
      qualification: intelligence?.qualification ?? null,
      followUpEmail: intelligence?.followUpEmail ?? null,
      conversationPatterns: intelligence?.conversationPatterns ?? null,
      audioIntelligence: intelligence?.audioIntelligence ?? null,
      embeddingCount: intelligence?.embeddingCount ?? null,
      steps: intelligence?.steps ?? {},
      failureCode: intelligence?.failureCode ?? meeting.failureCode ?? null,
      analysedAt: intelligence?.analysedAt ?? null,
      ...meetingLinks(deps.config, meeting.id),
    });
  });

  router.post('/:id/cancel', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const meeting = await findMeeting(deps.prisma, principal, request.params.id);
    if (['analysed', 'failed', 'cancelled', 'transcript_stored', 'analysing'].includes(meeting.status)) {
      throw new AppError(
        ErrorCode.Conflict,
        `Meeting is already ${meeting.status.replace('_', ' ')} and cannot be cancelled`,
      );
    }
    try {
      await deps.temporal.workflow
        .getHandle(meetingWorkflowId(meeting.id))
        .signal(cancelMeetingSignal, { requestedBy: principal.userId });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new AppError(ErrorCode.Conflict, 'Meeting is no longer running and cannot be cancelled');
      }
      throw error;
    }
    await deps.prisma.auditEvent.create({
      data: {
        organizationId: principal.organizationId,
        actorUserId: principal.userId,
        action: 'meeting.cancel_requested',
        subjectType: 'meeting',
        subjectId: meeting.id,
      },
    });

    response.status(202).json({ meetingId: meeting.id, status: 'cancelling' });
  });

  return router;
}

async function findMeeting(prisma: PrismaClient, principal: Principal, id: string | undefined) {
  const notFound = new AppError(ErrorCode.NotFound, `Meeting ${id ?? ''} not found`);
  if (!ZMeetingIdSchema.safeParse(id).success) {
    throw notFound;
  }
  const meeting = await prisma.meeting.findFirst({
    where: { id, organizationId: principal.organizationId },
    include: {
      callIntelligence: true,
      transcript: { select: { speakerCount: true, turnCount: true, expiresAt: true } },
    },
  });
  if (meeting === null) {
    throw notFound;
  }

  return meeting;
}

type CreateMeetingBody = z.infer<typeof ZCreateMeetingSchema>;

/** Creates the meeting row and starts its lifecycle workflow; a meeting whose workflow cannot start is not kept. */
async function createMeeting(deps: MeetingRouteDeps, principal: Principal, body: CreateMeetingBody) {
  const { prisma, temporal, config } = deps;
  await ensureMembership(prisma, principal);
  await assertMeetingAllowed(prisma, principal.organizationId);
  const prospectId = await resolveProspect(prisma, principal, body);

  const meeting = await prisma.meeting.create({
    data: {
      organizationId: principal.organizationId,
      createdById: principal.userId,
      prospectId,
      title: body.title ?? null,
      platform: platformForUrl(body.meetingUrl),
      meetingUrl: body.meetingUrl,
      mode: body.mode,
      joinAt: body.joinAt ? new Date(body.joinAt) : new Date(),
    },
  });
  try {
    await temporal.workflow.start<typeof meetingLifecycle>('meetingLifecycle', {
      workflowId: meetingWorkflowId(meeting.id),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [
        {
          meetingId: meeting.id,
          organizationId: meeting.organizationId,
          botJoinTimeoutMinutes: config.BOT_JOIN_TIMEOUT_MINUTES,
        },
      ],
      typedSearchAttributes: [
        { key: meetingIdKey, value: meeting.id },
        { key: organizationIdKey, value: meeting.organizationId },
        { key: meetingStatusKey, value: 'scheduled' },
      ],
    });
  } catch (error) {
    await prisma.meeting.delete({ where: { id: meeting.id } });
    deps.logger.error({ err: error, meetingId: meeting.id }, 'Meeting workflow did not start');
    throw new AppError(
      ErrorCode.ServiceUnavailable,
      'The workflow service is unavailable; the meeting was not scheduled. Retry shortly.',
    );
  }
  await prisma.auditEvent.create({
    data: {
      organizationId: principal.organizationId,
      actorUserId: principal.userId,
      action: 'meeting.scheduled',
      subjectType: 'meeting',
      subjectId: meeting.id,
      data: { mode: meeting.mode, platform: meeting.platform, joinAt: meeting.joinAt.toISOString() },
    },
  });
  deps.logger.info({ meetingId: meeting.id, organizationId: meeting.organizationId }, 'Meeting scheduled');

  return meeting;
}

/** Provisions the caller's organisation, user and membership on first use, as a Clerk webhook would. */
async function ensureMembership(prisma: PrismaClient, principal: Principal): Promise<void> {
  await prisma.organization.upsert({
    where: { id: principal.organizationId },
    create: { id: principal.organizationId, name: principal.organizationId },
    update: {},
  });
  await prisma.user.upsert({ where: { id: principal.userId }, create: { id: principal.userId }, update: {} });
  await prisma.membership.upsert({
    where: { userId_organizationId: { userId: principal.userId, organizationId: principal.organizationId } },
    create: { userId: principal.userId, organizationId: principal.organizationId, role: principal.role },
    update: { role: principal.role },
  });
}

async function resolveProspect(
  prisma: PrismaClient,
  principal: Principal,
  body: CreateMeetingBody,
): Promise<string | null> {
  if (body.prospectId !== undefined) {
    const prospect = await prisma.prospect.findFirst({
      where: { id: body.prospectId, organizationId: principal.organizationId },
    });
    if (prospect === null) {
      throw new AppError(ErrorCode.NotFound, `Prospect ${body.prospectId} not found`);
    }
    return prospect.id;
  }
  if (body.prospect === undefined) {
    return null;
  }
  const { name, company, email } = body.prospect;
  if (email !== undefined) {
    const prospect = await prisma.prospect.upsert({
      where: { organizationId_email: { organizationId: principal.organizationId, email } },
      create: { organizationId: principal.organizationId, name, company: company ?? null, email },
      update: {},
    });
    return prospect.id;
  }
  const prospect = await prisma.prospect.create({
    data: { organizationId: principal.organizationId, name, company: company ?? null },
  });

  return prospect.id;
}

function presentMeeting(meeting: {
  id: string;
  title: string | null;
  platform: string;
  meetingUrl: string;
  mode: string;
  joinAt: Date;
  botId: string | null;
  status: string;
  statusChangedAt: Date;
  failureCode: string | null;
  failureMessage: string | null;
  prospectId: string | null;
  createdAt: Date;
}) {
  return {
    id: meeting.id,
    title: meeting.title,
    platform: meeting.platform,
    meetingUrl: meeting.meetingUrl,
    mode: meeting.mode,
    joinAt: meeting.joinAt,
    botId: meeting.botId,
    status: meeting.status,
    statusChangedAt: meeting.statusChangedAt,
    failure: meeting.failureCode ? { code: meeting.failureCode, message: meeting.failureMessage } : null,
    prospectId: meeting.prospectId,
    createdAt: meeting.createdAt,
    workflowId: meetingWorkflowId(meeting.id),
    analysisWorkflowId: analysisWorkflowId(meeting.id),
  };
}
