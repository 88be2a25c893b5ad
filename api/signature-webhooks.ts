import express, { type Request, Router } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode } from '../lib/errors';
import { matchesAnySignature } from '../lib/signing/hmac';
import type { SignatureWebhookKeys } from '../lib/signing/webhook-keys';
import { type SignatureEvent, signatureEventSignal, signatureWorkflowId } from '../workflows/e-signature';
import { deliverOnce, parseJson, requireRawJsonBody, type WebhookRouteDeps } from './webhooks';
import { webhookRateLimit } from './security';

// DocuSign Connect (JSON SIM) and PandaDoc webhooks. Both sign the raw body with HMAC-SHA256 over the key's
// UTF-8 bytes: DocuSign in base64 in X-DocuSign-Signature-1..N, PandaDoc in hex in `?signature=`. Events are
// de-duplicated by their event id; the envelope row only moves forward, so a late `delivered` after
// `completed` changes nothing. Events older than SIGNATURE_WEBHOOK_MAX_AGE_MINUTES are refused.

export interface SignatureWebhookDeps extends Pick<
  WebhookRouteDeps,
  'config' | 'prisma' | 'temporal' | 'logger' | 'perMinute'
> {
  /** The keys, or how to read them once on the first delivery (the API process may start before they exist). */
  keys: SignatureWebhookKeys | (() => Promise<SignatureWebhookKeys>);
}

const ZDocusignEventSchema = z.object({
  event: z.string().min(1),
  generatedDateTime: z.string().min(1),
  data: z.object({ envelopeId: z.string().min(1) }),
});

const ZPandadocEventsSchema = z.array(
  z.object({
    event: z.string().min(1),
    data: z.object({ id: z.string().min(1), status: z.string().optional(), date_modified: z.string().optional() }),
  }),
);

const docusignStatusByEvent: Record<string, SignatureEvent['status']> = {
  'envelope-delivered': 'delivered',
  'recipient-delivered': 'delivered',
  'envelope-completed': 'signed',
  'envelope-declined': 'declined',
  'recipient-declined': 'declined',
  'envelope-voided': 'voided',
};

const pandadocStatusByState: Record<string, SignatureEvent['status']> = {
  'document.viewed': 'viewed',
  'document.completed': 'signed',
  'document.declined': 'declined',
  'document.voided': 'voided',
};

const statusRank: Record<string, number> = { sent: 1, delivered: 2, viewed: 3, signed: 4, declined: 4, voided: 4 };
const futureSkewMs = 5 * 60_000;

export function signatureWebhookRoutes(deps: SignatureWebhookDeps): Router {
  const router = Router();
  const rawBody = express.raw({ type: () => true, limit: '256kb' });
  const maxAgeMs = deps.config.SIGNATURE_WEBHOOK_MAX_AGE_MINUTES * 60_000;
  let keys: Promise<SignatureWebhookKeys> | undefined;
  const currentKeys = () => (keys ??= typeof deps.keys === 'function' ? deps.keys() : Promise.resolve(deps.keys));

  router.post('/docusign', webhookRateLimit('docusign', deps.perMinute), rawBody, async (request, response) => {
    const body = requireRawJsonBody(request);
    const signatures = Object.entries(request.headers)
      .filter(([name]) => /^x-docusign-signature-\d+$/.test(name))
      .map(([, value]) => String(value));
    if (!matchesAnySignature(signatures, (await currentKeys()).docusignConnectHmacKeys, body, 'base64')) {
      deps.logger.warn({ provider: 'docusign' }, 'Webhook rejected');
      throw new AppError(ErrorCode.InvalidSignature, 'No X-DocuSign-Signature header matches the body');
    }
    const parsed = ZDocusignEventSchema.safeParse(parseJson(body));
    if (!parsed.success) {
      throw new AppError(
        ErrorCode.InvalidRequest,
        'Expected a Connect JSON SIM event with event, generatedDateTime and data.envelopeId',
      );
    }
    const { event, generatedDateTime, data } = parsed.data;
    const occurredAtMs = requireFresh(generatedDateTime, maxAgeMs);
    const status = docusignStatusByEvent[event];
    if (status === undefined) {
      response.status(200).json({ received: true, ignored: 'event type not handled' });
      return;
    }
    const outcome = await handOver(deps, 'docusign', data.envelopeId, {
      source: 'docusign',
      status,
      eventId: `${data.envelopeId}:${event}:${generatedDateTime}`,
      occurredAtMs,
    });
    response.status(200).json({ received: true, outcome });
  });

  router.post('/pandadoc', webhookRateLimit('pandadoc', deps.perMinute), rawBody, async (request, response) => {
    const body = requireRawJsonBody(request);
    const signature = typeof request.query.signature === 'string' ? request.query.signature : '';
    if (!matchesAnySignature([signature], (await currentKeys()).pandadocWebhookKeys, body, 'hex')) {
      deps.logger.warn({ provider: 'pandadoc' }, 'Webhook rejected');
      throw new AppError(ErrorCode.InvalidSignature, 'The signature query parameter does not match the body');
    }
    const parsed = ZPandadocEventsSchema.safeParse(parseJson(body));
    if (!parsed.success) {
      throw new AppError(ErrorCode.InvalidRequest, 'Expected a JSON array of { event, data: { id, status } }');
    }
    const deliveryId = requestEventId(request);
    // An array may mix documents: unknown ones are skipped and the rest handled; only a delivery with no known
    // document at all is answered 404.
    const outcomes: string[] = [];
    let known = 0;
    for (const [index, element] of parsed.data.entries()) {
      const status =
        element.event === 'document_state_changed' ? pandadocStatusByState[element.data.status ?? ''] : undefined;
      const occurredAtMs = requireFresh(element.data.date_modified ?? new Date().toISOString(), maxAgeMs);
      const exists = await deps.prisma.envelope.findUnique({
        where: { provider_externalId: { provider: 'pandadoc', externalId: element.data.id } },
        select: { id: true },
      });
      if (exists === null) {
        continue;
      }
      known += 1;
      if (status === undefined) {
        outcomes.push('ignored');
        continue;
      }
      const eventId =
        deliveryId === undefined
          ? `${element.data.id}:${element.data.status}:${element.data.date_modified}`
          : parsed.data.length === 1
            ? deliveryId
            : `${deliveryId}:${index}`;
      outcomes.push(
        await handOver(deps, 'pandadoc', element.data.id, { source: 'pandadoc', status, eventId, occurredAtMs }),
      );
    }
    if (known === 0) {
      throw new AppError(ErrorCode.UnknownWebhookSubject, 'No proposal has these PandaDoc document ids');
    }
    response.status(200).json({ received: true, outcomes });
  });

  return router;
}

/** Records the provider's status on its row (forward only) and signals the proposal's signature workflow once. */
async function handOver(
  deps: SignatureWebhookDeps,
  provider: 'docusign' | 'pandadoc',
  externalId: string,
  event: SignatureEvent,
): Promise<string> {
  const envelope = await deps.prisma.envelope.findUnique({ where: { provider_externalId: { provider, externalId } } });
  if (envelope === null) {
    deps.logger.warn({ provider, externalId }, 'Webhook for an unknown envelope rejected');
    throw new AppError(ErrorCode.UnknownWebhookSubject, `No proposal has this ${provider} id`);
  }

  const outcome = await deliverOnce(
    deps,
    { provider, eventId: event.eventId, eventType: event.status, subjectId: envelope.proposalId },
    () =>
      deps.temporal.workflow.getHandle(signatureWorkflowId(envelope.proposalId)).signal(signatureEventSignal, event),
  );
  const currentRank = statusRank[rankName(envelope.status)] ?? 0;
  if (outcome !== 'duplicate' && statusRank[event.status]! > currentRank) {
    await deps.prisma.envelope.update({
      where: { id: envelope.id },
      data: { status: providerStatusWord(provider, event.status), statusAt: new Date(event.occurredAtMs) },
    });
  }

  return outcome;
}

/** Returns the status in the provider's own words, as the activities store and read it (`document.completed`). */
function providerStatusWord(provider: 'docusign' | 'pandadoc', status: SignatureEvent['status']): string {
  const word = status === 'signed' ? 'completed' : status;

  return provider === 'pandadoc' ? `document.${word}` : word;
}

/** Maps either provider's status word onto the ranking names. */
function rankName(status: string): string {
  const word = status.replace(/^document\./, '');
  if (word === 'completed') return 'signed';
  if (word === 'uploaded' || word === 'draft') return 'sent';

  return word;
}

function requestEventId(request: Request): string | undefined {
  const value = request.get('x-pandadoc-webhook-event-id')?.trim();

  return value === undefined || value === '' ? undefined : value;
}

function requireFresh(timestamp: string, maxAgeMs: number): number {
  const at = Date.parse(timestamp);
  if (Number.isNaN(at) || Date.now() - at > maxAgeMs || at - Date.now() > futureSkewMs) {
    throw new AppError(ErrorCode.StaleWebhook, `Event time ${timestamp} is outside the accepted window`);
  }

  return at;
}
