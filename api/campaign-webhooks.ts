import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { type Request, Router } from 'express';
import {
  handledInstantlyEvents,
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
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { WebhookSecrets } from '../lib/local-secrets';
import type { Logger } from '../lib/logger';
import { campaignCompletedSignal, campaignWorkflowId, recipientEventSignal } from '../workflows/campaign';
import {
  bookingCancelled,
  bookingCreated,
  bookingRescheduled,
  type Outcome,
  recordEventOnce,
  signalUnlessClosed,
} from './calcom-bookings';
import { webhookRateLimit } from './security';
import { parseJson, requireRawJsonBody } from './webhooks';

// Campaign webhooks. Instantly.ai: no signature scheme exists, so each company's endpoint requires its own
// secret header, compared by hash in constant time. Instantly sends no event id either, so a delivery is
// de-duplicated by the SHA-256 of its raw body. Cal.com: `X-Cal-Signature-256` over the raw body, and
// since Cal.com sends no timestamp header, the body's `createdAt` must be within the configured tolerance.

const webhookBodyLimit = '256kb';

export interface CampaignWebhookDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  secrets: WebhookSecrets;
  perMinute: number;
}

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
