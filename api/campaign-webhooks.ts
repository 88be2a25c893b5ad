import { createHash } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import express, { type Request, Router } from 'express';
import { assertMeetingAllowed } from '../lib/billing/entitlements';
import {
  bookingMeetingUrl,
  handledInstantlyEvents,
  previousBookingUid,
  type TCalcomBooking,
  type TInstantlyEventType,
  ZCalcomEventSchema,
  ZInstantlyEventSchema,
} from '../lib/campaigns/events';
import { applyRecipientEvent, recipientEventKinds } from '../lib/campaigns/recipient-events';
import { normalizeEmail } from '../lib/campaigns/recipients';
import {
  calcomSignatureHeader,
  calcomSignatureMatches,
  instantlySecretHeader,
  instantlySecretMatches,
} from '../lib/campaigns/webhook-secrets';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode, isAppError } from '../lib/errors';
import { Prisma, type PrismaClient } from '../lib/generated/prisma/client';
import type { WebhookSecrets } from '../lib/local-secrets';
import type { Logger } from '../lib/logger';
import { meetingIdKey, meetingStatusKey, organizationIdKey } from '../lib/search-attributes';
import { campaignCompletedSignal, campaignWorkflowId, recipientEventSignal } from '../workflows/campaign';
import type { meetingLifecycle } from '../workflows/meeting-lifecycle';
import { cancelMeetingSignal, meetingWorkflowId, moveJoinTimeSignal } from '../workflows/meeting-lifecycle';
import { platformForUrl } from './meetings';
import { webhookRateLimit } from './security';

// Campaign webhooks. Instantly.ai: no signature scheme exists, so each company's endpoint requires its own
// secret header, compared by hash in constant time. Instantly sends no event id either, so a delivery is
// de-duplicated by the SHA-256 of its raw body. Cal.com: `X-Cal-Signature-256` over the raw body, and
// since Cal.com sends no timestamp header, the body's `createdAt` must be within the configured tolerance.
// A booking uid is unique in cal_bookings, which is what makes one booking one meeting.

const webhookBodyLimit = '256kb';

export interface CampaignWebhookDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  secrets: WebhookSecrets;
  perMinute: number;
}

type Outcome = Record<string, unknown> & { outcome: string };

export function campaignWebhookRoutes(deps: CampaignWebhookDeps): Router {
  const router = Router();
  const rawBody = express.raw({ type: () => true, limit: webhookBodyLimit });

  router.post(
    '/instantly/:organizationId',
    webhookRateLimit('instantly', deps.perMinute),
    rawBody,
    async (request, response) => {
      response.status(200).json({ received: true, ...(await receiveInstantlyEvent(deps, request)) });
    },
  );

  router.post('/calcom', webhookRateLimit('calcom', deps.perMinute), rawBody, async (request, response) => {
    response.status(200).json({ received: true, ...(await receiveCalcomEvent(deps, request)) });
  });

  return router;
}

async function receiveInstantlyEvent(deps: CampaignWebhookDeps, request: Request): Promise<Outcome> {
  const { prisma } = deps;
  const organizationId = String(request.params.organizationId);
  const organization = await prisma.organization.findUnique({
    where: { id: organizationId },
    select: { instantlyWebhookSecretHash: true },
  });
  if (!instantlySecretMatches(request.get(instantlySecretHeader), organization?.instantlyWebhookSecretHash ?? null)) {
    deps.logger.warn({ provider: 'instantly', organizationId }, 'Webhook rejected');
    throw new AppError(ErrorCode.InvalidSignature, `Missing or wrong ${instantlySecretHeader} header`);
  }
  const body = requireRawJsonBody(request);
  const parsed = ZInstantlyEventSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    throw new AppError(ErrorCode.InvalidRequest, 'Expected an Instantly event with event_type and campaign_id');
  }
  const event = parsed.data;
  const handled = [...handledInstantlyEvents, 'campaign_completed'];
  if (!handled.includes(event.event_type) || event.campaign_id === undefined) {
    return { outcome: 'ignored', ignored: 'event type not handled' };
  }
  const campaign = await prisma.campaign.findFirst({
    where: { organizationId, instantlyCampaignId: event.campaign_id },
    select: { id: true },
  });
  if (campaign === null) {
    deps.logger.warn({ provider: 'instantly', organizationId }, 'Webhook for an unknown campaign rejected');
    throw new AppError(ErrorCode.UnknownWebhookSubject, 'No campaign of this company has this Instantly campaign id');
  }
  // Instantly sends no event id; the exact bytes of a delivery identify it, so a retry is a duplicate.
  const eventId = createHash('sha256').update(body).digest('hex');
  const handle = deps.temporal.workflow.getHandle(campaignWorkflowId(campaign.id));
  if (event.event_type === 'campaign_completed') {
    return deliverOnce(deps, { eventId, eventType: event.event_type, subjectId: campaign.id }, async () => {
      await signalUnlessClosed(() => handle.signal(campaignCompletedSignal));
    });
  }
  if (event.lead_email === undefined) {
    throw new AppError(ErrorCode.InvalidRequest, `${event.event_type} needs lead_email`);
  }
  const email = normalizeEmail(event.lead_email);
  const recipient = await prisma.campaignRecipient.findUnique({
    where: { campaignId_email: { campaignId: campaign.id, email } },
    select: { id: true },
  });
  if (recipient === null) {
    throw new AppError(ErrorCode.UnknownWebhookSubject, 'No recipient of this campaign has this address');
  }
  const kind = recipientEventKinds[event.event_type as TInstantlyEventType];

  return deliverOnce(deps, { eventId, eventType: event.event_type, subjectId: campaign.id }, async () => {
    await applyRecipientEvent(prisma, { organizationId, campaignId: campaign.id, email, kind });
    await signalUnlessClosed(() => handle.signal(recipientEventSignal, { recipientId: recipient.id, kind }));
  });
}

async function receiveCalcomEvent(deps: CampaignWebhookDeps, request: Request): Promise<Outcome> {
  const body = requireRawJsonBody(request);
  if (!calcomSignatureMatches(deps.secrets.calcomWebhookSecret, body, request.get(calcomSignatureHeader))) {
    deps.logger.warn({ provider: 'calcom' }, 'Webhook rejected');
    throw new AppError(ErrorCode.InvalidSignature, `Missing or invalid ${calcomSignatureHeader} header`);
  }
  const parsed = ZCalcomEventSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    throw new AppError(
      ErrorCode.InvalidRequest,
      'Expected a Cal.com booking event { triggerEvent, createdAt, payload }',
    );
  }
  const { triggerEvent, createdAt, payload } = parsed.data;
  const ageMs = Math.abs(Date.now() - Date.parse(createdAt));
  if (ageMs > deps.config.CALCOM_WEBHOOK_TOLERANCE_SECONDS * 1000) {
    deps.logger.warn({ provider: 'calcom', uid: payload.uid }, 'Stale webhook rejected');
    throw new AppError(
      ErrorCode.StaleWebhook,
      `createdAt is more than ${deps.config.CALCOM_WEBHOOK_TOLERANCE_SECONDS} seconds from now`,
    );
  }
  if (triggerEvent === 'BOOKING_CREATED') return bookingCreated(deps, payload);
  if (triggerEvent === 'BOOKING_RESCHEDULED') return bookingRescheduled(deps, payload);
  if (triggerEvent === 'BOOKING_CANCELLED') return bookingCancelled(deps, payload);

  return { outcome: 'ignored', ignored: 'event type not handled' };
}

async function bookingCreated(deps: CampaignWebhookDeps, booking: TCalcomBooking): Promise<Outcome> {
  const { prisma } = deps;
  const existing = await prisma.calBooking.findUnique({ where: { uid: booking.uid } });
  if (existing !== null) {
    await ensureMeetingStarted(deps, existing);
    return { outcome: 'duplicate', bookingId: existing.id, meetingId: existing.meetingId };
  }
  if (await cancelledBeforeCreated(prisma, booking.uid)) {
    return { outcome: 'ignored', ignored: 'booking was cancelled before it was reported as created' };
  }
  const emails = booking.attendees.map((attendee) => normalizeEmail(attendee.email));
  const recipient = await prisma.campaignRecipient.findFirst({
    where: { email: { in: emails } },
    orderBy: { campaign: { createdAt: 'desc' } },
    include: { campaign: true },
  });
  if (recipient === null) {
    deps.logger.warn({ provider: 'calcom', uid: booking.uid }, 'Booking for a non-campaign attendee rejected');
    throw new AppError(ErrorCode.UnknownWebhookSubject, 'No campaign recipient has this attendee address');
  }
  const { campaign } = recipient;
  const meetingUrl = bookingMeetingUrl(booking);
  const refusal = meetingUrl === undefined ? 'no_meeting_url' : await planRefusal(prisma, campaign.organizationId);
  const bookingRow = {
    organizationId: campaign.organizationId,
    uid: booking.uid,
    campaignId: campaign.id,
    prospectId: recipient.prospectId,
    startTime: new Date(booking.startTime),
  };
  if (refusal !== undefined) {
    const recorded = await createBookingOnce(prisma, bookingRow);
    await prisma.auditEvent.create({
      data: {
        organizationId: campaign.organizationId,
        actorUserId: campaign.createdById,
        action: 'calcom.booking_without_meeting',
        subjectType: 'cal_booking',
        subjectId: recorded.id,
        data: { reason: refusal },
      },
    });
    return { outcome: refusal, bookingId: recorded.id };
  }

  const recorded = await prisma.$transaction(async (tx) => {
    const meeting = await tx.meeting.create({
      data: {
        organizationId: campaign.organizationId,
        createdById: campaign.createdById,
        prospectId: recipient.prospectId,
        title: booking.title ?? null,
        platform: platformForUrl(meetingUrl!),
        meetingUrl: meetingUrl!,
        mode: 'sage_led',
        joinAt: new Date(booking.startTime),
      },
    });
    return tx.calBooking.create({ data: { ...bookingRow, meetingId: meeting.id } });
  });
  await ensureMeetingStarted(deps, recorded);
  await prisma.auditEvent.create({
    data: {
      organizationId: campaign.organizationId,
      action: 'meeting.scheduled',
      subjectType: 'meeting',
      subjectId: recorded.meetingId!,
      data: { mode: 'sage_led', source: 'calcom', joinAt: booking.startTime },
    },
  });
  deps.logger.info({ provider: 'calcom', bookingId: recorded.id, meetingId: recorded.meetingId }, 'Booking scheduled');

  return { outcome: 'scheduled', bookingId: recorded.id, meetingId: recorded.meetingId };
}

async function bookingRescheduled(deps: CampaignWebhookDeps, booking: TCalcomBooking): Promise<Outcome> {
  const { prisma } = deps;
  if ((await prisma.calBooking.findUnique({ where: { uid: booking.uid } })) !== null) {
    return { outcome: 'duplicate' };
  }
  const previousUid = previousBookingUid(booking);
  const previous =
    previousUid === undefined ? null : await prisma.calBooking.findUnique({ where: { uid: previousUid } });
  if (previous === null) {
    throw new AppError(ErrorCode.UnknownWebhookSubject, 'No booking has the uid this reschedule replaces');
  }
  if (previous.status === 'cancelled') {
    return { outcome: 'ignored', ignored: 'booking is cancelled' };
  }
  const joinAt = new Date(booking.startTime);
  if (previous.meetingId !== null) {
    const handle = deps.temporal.workflow.getHandle(meetingWorkflowId(previous.meetingId));
    await signalUnlessClosed(() => handle.signal(moveJoinTimeSignal, { joinAtMs: joinAt.getTime() }));
  }
  await prisma.$transaction([
    prisma.calBooking.update({
      where: { id: previous.id },
      data: { uid: booking.uid, startTime: joinAt, status: 'rescheduled' },
    }),
    ...(previous.meetingId === null
      ? []
      : [prisma.meeting.update({ where: { id: previous.meetingId }, data: { joinAt } })]),
  ]);

  return { outcome: 'rescheduled', bookingId: previous.id, meetingId: previous.meetingId };
}

async function bookingCancelled(deps: CampaignWebhookDeps, booking: TCalcomBooking): Promise<Outcome> {
  const { prisma } = deps;
  const found = await prisma.calBooking.findUnique({ where: { uid: booking.uid } });
  if (found === null) {
    // Remembered so that a BOOKING_CREATED arriving after it starts nothing.
    await recordEventOnce(prisma, { eventId: cancelledEventId(booking.uid), eventType: 'BOOKING_CANCELLED' });
    throw new AppError(ErrorCode.UnknownWebhookSubject, 'No booking has this uid');
  }
  if (found.status === 'cancelled') {
    return { outcome: 'duplicate', bookingId: found.id };
  }
  if (found.meetingId !== null) {
    const handle = deps.temporal.workflow.getHandle(meetingWorkflowId(found.meetingId));
    await signalUnlessClosed(() => handle.signal(cancelMeetingSignal, { requestedBy: 'calcom' }));
  }
  await prisma.calBooking.update({ where: { id: found.id }, data: { status: 'cancelled' } });
  if (found.meetingId !== null) {
    await prisma.auditEvent.create({
      data: {
        organizationId: found.organizationId,
        action: 'meeting.cancel_requested',
        subjectType: 'meeting',
        subjectId: found.meetingId,
        data: { source: 'calcom' },
      },
    });
  }

  return { outcome: 'cancelled', bookingId: found.id, meetingId: found.meetingId };
}

/** Starts the booking's meeting workflow unless it already ran; a Cal.com retry after a failed start lands here. */
async function ensureMeetingStarted(
  deps: CampaignWebhookDeps,
  booking: { meetingId: string | null; organizationId: string; status: string },
): Promise<void> {
  if (booking.meetingId === null || booking.status === 'cancelled') {
    return;
  }
  try {
    await deps.temporal.workflow.start<typeof meetingLifecycle>('meetingLifecycle', {
      workflowId: meetingWorkflowId(booking.meetingId),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [
        {
          meetingId: booking.meetingId,
          organizationId: booking.organizationId,
          botJoinTimeoutMinutes: deps.config.BOT_JOIN_TIMEOUT_MINUTES,
        },
      ],
      typedSearchAttributes: [
        { key: meetingIdKey, value: booking.meetingId },
        { key: organizationIdKey, value: booking.organizationId },
        { key: meetingStatusKey, value: 'scheduled' },
      ],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      return;
    }
    deps.logger.error({ err: error, meetingId: booking.meetingId }, 'Meeting workflow did not start');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The meeting could not be started; retry later');
  }
}

async function planRefusal(prisma: PrismaClient, organizationId: string): Promise<'over_plan' | undefined> {
  try {
    await assertMeetingAllowed(prisma, organizationId);
    return undefined;
  } catch (error) {
    if (isAppError(error) && error.code === ErrorCode.PlanLimitExceeded) {
      return 'over_plan';
    }
    throw error;
  }
}

async function createBookingOnce(prisma: PrismaClient, row: Prisma.CalBookingUncheckedCreateInput) {
  try {
    return await prisma.calBooking.create({ data: row });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      return prisma.calBooking.findUniqueOrThrow({ where: { uid: row.uid } });
    }
    throw error;
  }
}

function cancelledEventId(uid: string): string {
  return `BOOKING_CANCELLED:${uid}`;
}

async function cancelledBeforeCreated(prisma: PrismaClient, uid: string): Promise<boolean> {
  const found = await prisma.webhookEvent.findUnique({
    where: { provider_eventId: { provider: 'calcom', eventId: cancelledEventId(uid) } },
  });

  return found !== null;
}

/** Records an event id; returns false when it was already recorded. */
async function recordEventOnce(
  prisma: PrismaClient,
  event: { eventId: string; eventType: string; subjectId?: string; provider?: string },
): Promise<{ id: string } | undefined> {
  try {
    return await prisma.webhookEvent.create({ data: { provider: 'calcom', ...event }, select: { id: true } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      return undefined;
    }
    throw error;
  }
}

/** Records the event id, then applies the event; a repeat is not applied again. A failure un-records it for the retry. */
async function deliverOnce(
  deps: CampaignWebhookDeps,
  event: { eventId: string; eventType: string; subjectId: string },
  apply: () => Promise<void>,
): Promise<Outcome> {
  const record = await recordEventOnce(deps.prisma, { ...event, provider: 'instantly' });
  if (record === undefined) {
    deps.logger.info({ provider: 'instantly', eventId: event.eventId }, 'Duplicate webhook ignored');
    return { outcome: 'duplicate' };
  }
  try {
    await apply();
  } catch (error) {
    await deps.prisma.webhookEvent.delete({ where: { id: record.id } });
    deps.logger.error({ err: error, provider: 'instantly', eventId: event.eventId }, 'Webhook not applied');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The event could not be applied; retry later');
  }
  deps.logger.info(
    { provider: 'instantly', eventType: event.eventType, campaignId: event.subjectId },
    'Webhook applied',
  );

  return { outcome: 'applied' };
}

async function signalUnlessClosed(signal: () => Promise<void>): Promise<void> {
  try {
    await signal();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) {
      throw error;
    }
  }
}

function requireRawJsonBody(request: Request): Buffer {
  if (!request.is('application/json')) {
    throw new AppError(ErrorCode.UnsupportedMediaType, 'Webhook bodies must be application/json');
  }
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
    throw new AppError(ErrorCode.InvalidJson, 'Webhook body is empty');
  }

  return request.body;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError(ErrorCode.InvalidJson, 'Webhook body is not valid JSON');
  }
}
