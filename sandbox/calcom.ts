import express, { Router } from 'express';
import { z } from 'zod';
import { calcomSignatureHeader, signCalcomBody } from '../lib/campaigns/webhook-secrets';
import type { SandboxContext } from './context';
import { derivedToken } from './ids';
import { deliverWebhook } from './webhook-delivery';

// Cal.com stand-in. The product calls no Cal.com API and only receives its webhook. So this is one control
// route, /_sandbox/calcom/bookings, that books, reschedules or cancels a slot for an attendee. It delivers
// the webhook as Cal.com does: `{ triggerEvent, createdAt, payload }`, signed with `X-Cal-Signature-256`
// (hex HMAC-SHA256 of the raw body under the webhook secret). A reschedule gets a new uid and names the old
// one in `rescheduleUid`.

export interface CalcomSandboxOptions {
  webhookUrl: string;
  webhookSecret: string;
}

interface Booking {
  uid: string;
  title: string;
  startTime: string;
  endTime: string;
  attendee: { email: string; name: string };
  meetingUrl: string;
  status: 'ACCEPTED' | 'CANCELLED';
}

const ZBookingActionSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('create'),
    attendeeEmail: z.email(),
    attendeeName: z.string().default('Sandbox Attendee'),
    startTime: z.iso.datetime(),
    durationMinutes: z.number().int().min(5).max(480).default(30),
    meetingUrl: z.url().default('https://meet.google.com/abc-defg-hij'),
  }),
  z.object({ action: z.literal('reschedule'), uid: z.string().min(1), startTime: z.iso.datetime() }),
  z.object({ action: z.literal('cancel'), uid: z.string().min(1) }),
]);

const organizer = { name: 'Sales Blitz Rep', email: 'rep@sales-blitz.example', timeZone: 'UTC' };

export function calcomControlRouter(context: SandboxContext, options: CalcomSandboxOptions): Router {
  const bookings = new Map<string, Booking>();
  let sequence = 0;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  router.post('/bookings', async (req, res) => {
    const parsed = ZBookingActionSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'Invalid booking action', issues: parsed.error.issues });
      return;
    }
    const request = parsed.data;
    sequence += 1;
    let booking: Booking;
    let triggerEvent: 'BOOKING_CREATED' | 'BOOKING_RESCHEDULED' | 'BOOKING_CANCELLED';
    let extra: Record<string, string> = {};
    if (request.action === 'create') {
      const start = new Date(request.startTime);
      booking = {
        uid: derivedToken('', 'calcom-booking', sequence, request.attendeeEmail),
        title: `Discovery call with ${request.attendeeName}`,
        startTime: start.toISOString(),
        endTime: new Date(start.getTime() + request.durationMinutes * 60_000).toISOString(),
        attendee: { email: request.attendeeEmail, name: request.attendeeName },
        meetingUrl: request.meetingUrl,
        status: 'ACCEPTED',
      };
      triggerEvent = 'BOOKING_CREATED';
    } else {
      const existing = bookings.get(request.uid);
      if (existing === undefined) {
        res.status(404).json({ error: `No booking ${request.uid}` });
        return;
      }
      if (request.action === 'cancel') {
        booking = { ...existing, status: 'CANCELLED' };
        triggerEvent = 'BOOKING_CANCELLED';
      } else {
        const start = new Date(request.startTime);
        const duration = Date.parse(existing.endTime) - Date.parse(existing.startTime);
        booking = {
          ...existing,
          uid: derivedToken('', 'calcom-booking', sequence, existing.uid),
          startTime: start.toISOString(),
          endTime: new Date(start.getTime() + duration).toISOString(),
        };
        bookings.set(existing.uid, { ...existing, status: 'CANCELLED' });
        extra = { rescheduleUid: existing.uid };
        triggerEvent = 'BOOKING_RESCHEDULED';
      }
    }
    bookings.set(booking.uid, booking);

    const body = JSON.stringify({
      triggerEvent,
      createdAt: new Date().toISOString(),
      payload: {
        type: 'discovery-call',
        title: booking.title,
        startTime: booking.startTime,
        endTime: booking.endTime,
        organizer,
        attendees: [{ ...booking.attendee, timeZone: 'UTC', language: { locale: 'en' } }],
        location: booking.meetingUrl,
        videoCallData: { type: 'google_video', url: booking.meetingUrl },
        uid: booking.uid,
        status: booking.status,
        ...extra,
      },
    });
    const headers = { [calcomSignatureHeader]: signCalcomBody(options.webhookSecret, body) };
    const copies = context.faults.take('calcom', 'duplicate_webhooks') === undefined ? 1 : 2;
    const deliveries = [];
    for (let copy = 0; copy < copies; copy += 1) {
      deliveries.push(
        await deliverWebhook(
          { url: options.webhookUrl, body, headersForAttempt: () => headers, logFields: { provider: 'calcom' } },
          { scheduler: context.scheduler, retryDelaysMs: context.webhookRetryDelaysMs, log: context.log },
        ),
      );
    }
    res.status(201).json({ uid: booking.uid, triggerEvent, deliveries });
  });

  return router;
}
