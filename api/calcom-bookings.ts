import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { assertMeetingAllowed } from '../lib/billing/entitlements';
import { bookingMeetingUrl, previousBookingUid, type TCalcomBooking } from '../lib/campaigns/events';
import { normalizeEmail } from '../lib/campaigns/recipients';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode, isAppError } from '../lib/errors';
import { Prisma, type PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { meetingIdKey, meetingStatusKey, organizationIdKey } from '../lib/search-attributes';
import type { meetingLifecycle } from '../workflows/meeting-lifecycle';
import { cancelMeetingSignal, meetingWorkflowId, moveJoinTimeSignal } from '../workflows/meeting-lifecycle';
import { platformForUrl } from './meetings';

// Verified Cal.com booking events turned into meetings. The booking uid is unique in cal_bookings, which is
// what makes one booking one meeting: a repeated BOOKING_CREATED finds the row and only makes sure the
// meeting's workflow runs. Unknown uids are rejected (404) and start nothing.

export interface BookingDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
}

export type Outcome = Record<string, unknown> & { outcome: string };

export async function bookingCreated(deps: BookingDeps, booking: TCalcomBooking): Promise<Outcome> {
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
  const noMeetingReason =
    meetingUrl === undefined ? 'no_meeting_url' : await planLimitReason(prisma, campaign.organizationId);
  const bookingRow = {
    organizationId: campaign.organizationId,
    uid: booking.uid,
    campaignId: campaign.id,
    prospectId: recipient.prospectId,
    startTime: new Date(booking.startTime),
  };
  if (noMeetingReason !== undefined) {
    const recorded = await createBookingOnce(prisma, bookingRow);
    await prisma.auditEvent.create({
      data: {
        organizationId: campaign.organizationId,
        actorUserId: campaign.createdById,
        action: 'calcom.booking_without_meeting',
        subjectType: 'cal_booking',
        subjectId: recorded.id,
        data: { reason: noMeetingReason },
      },
    });
    return { outcome: noMeetingReason, bookingId: recorded.id };
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

export async function bookingRescheduled(deps: BookingDeps, booking: TCalcomBooking): Promise<Outcome> {
  const { prisma } = deps;
  if ((await prisma.calBooking.findUnique({ where: { uid: booking.uid } })) !== null) {
    return { outcome: 'duplicate' };
  }
  const previousUid = previousBookingUid(booking);
  const previous =
    previousUid === undefined ? null : await prisma.calBooking.findUnique({ where: { uid: previousUid } });
  if (previous === null) {
    deps.logger.warn({ provider: 'calcom', uid: booking.uid }, 'Reschedule of an unknown booking rejected');
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

export async function bookingCancelled(deps: BookingDeps, booking: TCalcomBooking): Promise<Outcome> {
  const { prisma } = deps;
  const found = await prisma.calBooking.findUnique({ where: { uid: booking.uid } });
  if (found === null) {
    // Remembered so that a BOOKING_CREATED arriving after it starts nothing.
    await recordEventOnce(prisma, { eventId: cancelledEventId(booking.uid), eventType: 'BOOKING_CANCELLED' });
    deps.logger.warn({ provider: 'calcom', uid: booking.uid }, 'Cancellation of an unknown booking rejected');
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
  deps: BookingDeps,
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

async function planLimitReason(prisma: PrismaClient, organizationId: string): Promise<'over_plan' | undefined> {
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

/** Records an event id; returns undefined when it was already recorded. */
export async function recordEventOnce(
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

export async function signalUnlessClosed(signal: () => Promise<void>): Promise<void> {
  try {
    await signal();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) {
      throw error;
    }
  }
}
