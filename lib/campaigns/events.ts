import { z } from 'zod';

// Webhook bodies of the two campaign providers, as far as the product reads them. Unknown fields are kept
// out: Cal.com and Instantly add fields over time, and the product never stores their bodies.

/** Instantly.ai v2 webhook event types the product acts on; every other type is acknowledged and ignored. */
export const handledInstantlyEvents = ['email_sent', 'reply_received', 'email_bounced', 'lead_unsubscribed'] as const;
export type TInstantlyEventType = (typeof handledInstantlyEvents)[number];

export const ZInstantlyEventSchema = z.object({
  event_type: z.string().min(1),
  timestamp: z.string().optional(),
  campaign_id: z.string().min(1).optional(),
  lead_email: z.email().optional(),
});

const ZCalcomPersonSchema = z.object({ email: z.string(), name: z.string().optional() });

export const ZCalcomPayloadSchema = z.object({
  uid: z.string().min(1),
  title: z.string().optional(),
  startTime: z.iso.datetime({ offset: true }),
  attendees: z.array(ZCalcomPersonSchema).default([]),
  location: z.string().nullable().optional(),
  videoCallData: z.object({ url: z.string().optional() }).nullable().optional(),
  metadata: z.object({ videoCallUrl: z.string().optional() }).passthrough().nullable().optional(),
  /** On BOOKING_RESCHEDULED: the uid of the booking this one replaces (older payloads use `fromReschedule`). */
  rescheduleUid: z.string().nullable().optional(),
  fromReschedule: z.string().nullable().optional(),
});

export const ZCalcomEventSchema = z.object({
  triggerEvent: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  payload: ZCalcomPayloadSchema,
});

export type TCalcomEvent = z.infer<typeof ZCalcomEventSchema>;
export type TCalcomBooking = z.infer<typeof ZCalcomPayloadSchema>;

/** Meeting URL of a booking: the video call first, then a location that is an https URL; undefined otherwise. */
export function bookingMeetingUrl(booking: TCalcomBooking): string | undefined {
  const candidates = [booking.videoCallData?.url, booking.metadata?.videoCallUrl, booking.location ?? undefined];

  return candidates.find((candidate) => candidate !== undefined && /^https:\/\/\S+$/.test(candidate));
}

/** Uid of the booking a reschedule replaces. */
export function previousBookingUid(booking: TCalcomBooking): string | undefined {
  return booking.rescheduleUid ?? booking.fromReschedule ?? undefined;
}
