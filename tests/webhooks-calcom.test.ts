import { randomUUID } from 'node:crypto';
import { recordedMinutesMetric } from '../lib/billing/entitlements';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { calcomSignatureHeader, signCalcomBody } from '../lib/campaigns/webhook-secrets';
import { meetingStateQuery, meetingWorkflowId } from '../workflows/meeting-lifecycle';
import { createProspects, launchCampaign } from './support/campaign-fixtures';
import { DEMO_ORGANIZATION_ID } from '../prisma/seed';
import { startTestStack, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

// Cal.com booking webhooks against the real app, PostgreSQL, Temporal and the Cal.com stand-in, which
// signs every delivery with X-Cal-Signature-256. Bookings are two hours ahead, so each meeting workflow
// is still waiting for its join time when the test reads it.

let stack: TestStack;
let campaignProspect: { id: string; email: string };

beforeAll(async () => {
  stack = await startTestStack();
  const prospects = await createProspects(stack, 1);
  campaignProspect = prospects[0]!;
  await launchCampaign(stack, [campaignProspect.id]);
});

afterAll(async () => {
  await stack?.stop();
});

interface BookingReply {
  uid: string;
  deliveries: Array<{ lastStatus: number | null }>;
}

async function bookThroughCalcom(action: Record<string, unknown>): Promise<BookingReply> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/calcom/bookings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(action),
  });
  expect(response.status).toBe(201);

  return (await response.json()) as BookingReply;
}

function inTwoHours(extraMinutes = 0): string {
  const start = new Date(Date.now() + (120 + extraMinutes) * 60_000);
  start.setUTCSeconds(0, 0);

  return start.toISOString();
}

function bookingEvent(triggerEvent: string, payload: Record<string, unknown>, createdAt = new Date()): string {
  return JSON.stringify({
    triggerEvent,
    createdAt: createdAt.toISOString(),
    payload: {
      title: 'Discovery call',
      startTime: inTwoHours(),
      endTime: inTwoHours(30),
      attendees: [{ email: campaignProspect.email, name: 'Lead' }],
      videoCallData: { url: 'https://meet.google.com/xyz-abcd-efg' },
      ...payload,
    },
  });
}

async function deliver(body: string, signature?: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const value = signature === undefined ? signCalcomBody(stack.secrets.calcomWebhookSecret, body) : signature;
  if (value !== null) headers[calcomSignatureHeader] = value;
  const response = await fetch(`${stack.apiUrl}/webhooks/calcom`, { method: 'POST', headers, body });

  return { status: response.status, body: (await response.json()) as { outcome?: string; error?: { code: string } } };
}

async function bookingRow(uid: string) {
  return stack.database.prisma.calBooking.findUnique({ where: { uid } });
}

describe('Cal.com webhook', () => {
  test('booking schedules one sage-led meeting', async () => {
    await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'calcom', fault: 'duplicate_webhooks', times: 1 }),
    });
    const startTime = inTwoHours();
    const prospectMeetings = () => stack.database.prisma.meeting.count({ where: { prospectId: campaignProspect.id } });
    const meetingsBefore = await prospectMeetings();

    const booked = await bookThroughCalcom({ action: 'create', attendeeEmail: campaignProspect.email, startTime });

    expect(booked.deliveries.map((delivery) => delivery.lastStatus)).toEqual([200, 200]);
    const booking = await bookingRow(booked.uid);
    expect(booking?.status).toBe('booked');
    const meetings = await stack.database.prisma.meeting.findMany({ where: { id: booking!.meetingId! } });
    expect(meetings).toHaveLength(1);
    expect(meetings[0]?.mode).toBe('sage_led');
    expect(meetings[0]?.joinAt.toISOString()).toBe(startTime);
    expect(meetings[0]?.prospectId).toBe(campaignProspect.id);
    expect(await prospectMeetings()).toBe(meetingsBefore + 1);
    const handle = stack.temporal.workflow.getHandle(meetingWorkflowId(booking!.meetingId!));
    const state = await waitFor(
      () => handle.query(meetingStateQuery),
      (current) => current.joinAtMs !== undefined,
      'the meeting workflow to load its plan',
    );
    expect(state.joinAtMs).toBe(Date.parse(startTime));
    expect(state.status).toBe('scheduled');
  });

  test('reschedule moves the join time', async () => {
    const booked = await bookThroughCalcom({
      action: 'create',
      attendeeEmail: campaignProspect.email,
      startTime: inTwoHours(),
    });
    const meetingId = (await bookingRow(booked.uid))!.meetingId!;
    const newStart = inTwoHours(90);

    const moved = await bookThroughCalcom({ action: 'reschedule', uid: booked.uid, startTime: newStart });

    expect(moved.deliveries.map((delivery) => delivery.lastStatus)).toEqual([200]);
    const meeting = await stack.database.prisma.meeting.findUniqueOrThrow({ where: { id: meetingId } });
    expect(meeting.joinAt.toISOString()).toBe(newStart);
    expect((await bookingRow(moved.uid))?.status).toBe('rescheduled');
    expect(await bookingRow(booked.uid)).toBeNull();
    const handle = stack.temporal.workflow.getHandle(meetingWorkflowId(meetingId));
    const state = await waitFor(
      () => handle.query(meetingStateQuery),
      (current) => current.joinAtMs === Date.parse(newStart),
      'the workflow to take the new join time',
    );
    expect(state.status).toBe('scheduled');
  });

  test('cancellation cancels the meeting', async () => {
    const booked = await bookThroughCalcom({
      action: 'create',
      attendeeEmail: campaignProspect.email,
      startTime: inTwoHours(),
    });
    const meetingId = (await bookingRow(booked.uid))!.meetingId!;

    const cancelled = await bookThroughCalcom({ action: 'cancel', uid: booked.uid });

    expect(cancelled.deliveries.map((delivery) => delivery.lastStatus)).toEqual([200]);
    expect((await bookingRow(booked.uid))?.status).toBe('cancelled');
    const meeting = await waitFor(
      () => stack.database.prisma.meeting.findUniqueOrThrow({ where: { id: meetingId } }),
      (row) => row.status === 'cancelled',
      'the meeting to be cancelled',
    );
    expect(meeting.botId).toBeNull();
  });

  test('forged signature is rejected', async () => {
    const uid = `forged-${randomUUID()}`;
    const body = bookingEvent('BOOKING_CREATED', { uid });

    const response = await deliver(body, signCalcomBody('not the webhook secret', body));

    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('invalid_signature');
    expect(await bookingRow(uid)).toBeNull();
  });

  test('unsigned delivery is rejected', async () => {
    const uid = `unsigned-${randomUUID()}`;

    const response = await deliver(bookingEvent('BOOKING_CREATED', { uid }), null);

    expect(response.status).toBe(401);
    expect(await bookingRow(uid)).toBeNull();
  });

  test('stale delivery is rejected', async () => {
    const uid = `stale-${randomUUID()}`;
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);

    const response = await deliver(bookingEvent('BOOKING_CREATED', { uid }, sixMinutesAgo));

    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('stale_webhook');
    expect(await bookingRow(uid)).toBeNull();
  });

  test('cancel before create starts nothing', async () => {
    const uid = `early-cancel-${randomUUID()}`;
    const meetingsBefore = await stack.database.prisma.meeting.count();

    const cancel = await deliver(bookingEvent('BOOKING_CANCELLED', { uid }));
    const create = await deliver(bookingEvent('BOOKING_CREATED', { uid }));

    expect(cancel.status).toBe(404);
    expect(create.status).toBe(200);
    expect(create.body.outcome).toBe('ignored');
    expect(await bookingRow(uid)).toBeNull();
    expect(await stack.database.prisma.meeting.count()).toBe(meetingsBefore);
  });

  test('reschedule of unknown booking is rejected', async () => {
    const uid = `moved-${randomUUID()}`;

    const response = await deliver(bookingEvent('BOOKING_RESCHEDULED', { uid, rescheduleUid: `never-${uid}` }));

    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('unknown_webhook_subject');
    expect(await bookingRow(uid)).toBeNull();
  });

  test('non-campaign attendee is rejected', async () => {
    const uid = `stranger-${randomUUID()}`;
    const meetingsBefore = await stack.database.prisma.meeting.count();

    const response = await deliver(
      bookingEvent('BOOKING_CREATED', { uid, attendees: [{ email: 'stranger@elsewhere.example', name: 'X' }] }),
    );

    expect(response.status).toBe(404);
    expect(await bookingRow(uid)).toBeNull();
    expect(await stack.database.prisma.meeting.count()).toBe(meetingsBefore);
  });

  test('booking over the plan records no meeting', async () => {
    const usage = await stack.database.prisma.usageRecord.create({
      data: { organizationId: DEMO_ORGANIZATION_ID, metric: recordedMinutesMetric, quantity: 10_000_000 },
    });
    try {
      const meetingsBefore = await stack.database.prisma.meeting.count();

      const booked = await bookThroughCalcom({
        action: 'create',
        attendeeEmail: campaignProspect.email,
        startTime: inTwoHours(),
      });

      expect(booked.deliveries.map((delivery) => delivery.lastStatus)).toEqual([200]);
      const booking = await bookingRow(booked.uid);
      expect(booking).not.toBeNull();
      expect(booking?.meetingId).toBeNull();
      expect(await stack.database.prisma.meeting.count()).toBe(meetingsBefore);
      const audit = await stack.database.prisma.auditEvent.findFirst({
        where: { subjectType: 'cal_booking', subjectId: booking!.id },
      });
      expect(audit?.action).toBe('calcom.booking_without_meeting');
      expect(audit?.data).toEqual({ reason: 'over_plan' });
    } finally {
      await stack.database.prisma.usageRecord.delete({ where: { id: usage.id } });
    }
  });

  test('unhandled trigger gets 200', async () => {
    const response = await deliver(bookingEvent('MEETING_ENDED', { uid: `ended-${randomUUID()}` }));

    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe('ignored');
  });
});
