import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import express, { type Request, Router } from 'express';
import Stripe from 'stripe';
import { applySubscription } from '../lib/billing/account';
import { planPricesFrom } from '../lib/billing/stripe-client';
import { resolveStripeWebhookSecret } from '../lib/billing/webhook-secret';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import { Prisma, type PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { organizationIdKey } from '../lib/search-attributes';
import {
  billingGrace,
  billingGraceWorkflowId,
  paymentFailedSignal,
  paymentReceivedSignal,
  subscriptionEndedSignal,
} from '../workflows/billing-grace';
import { webhookRateLimit } from './security';

// Stripe events at /webhooks/stripe. The Stripe library verifies the signature over the raw body, with its
// default tolerance of 300 seconds. Each event id is applied once. The subscription is then read from Stripe
// and copied, because events arrive late, twice and out of order and their snapshots may be stale. A
// failed payment starts the company's grace-period workflow, and a payment or cancellation signals it.

const webhookBodyLimit = '512kb';

const handledTypes = new Set([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_failed',
  'invoice.paid',
]);

export interface StripeWebhookDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  stripe: () => Stripe;
  perMinute: number;
}

interface EventObject {
  id: string;
  customer?: string | { id: string } | null;
  subscription?: string | { id: string } | null;
  parent?: { subscription_details?: { subscription?: string | { id: string } | null } | null } | null;
}

export function stripeWebhookRoutes(deps: StripeWebhookDeps): Router {
  const router = Router();
  const rawBody = express.raw({ type: () => true, limit: webhookBodyLimit });

  router.post('/', webhookRateLimit('stripe', deps.perMinute), rawBody, async (request, response) => {
    const event = await verifiedEvent(deps, request);
    if (!handledTypes.has(event.type)) {
      response.status(200).json({ received: true, ignored: 'event type not handled' });
      return;
    }
    const object = event.data.object as unknown as EventObject;
    const customerId = idOf(object.customer);
    const account =
      customerId === undefined
        ? null
        : await deps.prisma.billingAccount.findUnique({ where: { stripeCustomerId: customerId } });
    if (account === null) {
      deps.logger.warn(
        { provider: 'stripe', eventId: event.id, customerId },
        'Webhook for an unknown customer rejected',
      );
      throw new AppError(ErrorCode.UnknownWebhookSubject, 'No company has this Stripe customer');
    }

    const outcome = await applyOnce(deps, event, account.organizationId, () =>
      applyEvent(deps, event, object, account.organizationId),
    );
    response.status(200).json({ received: true, outcome });
  });

  return router;
}

async function verifiedEvent(deps: StripeWebhookDeps, request: Request): Promise<Stripe.Event> {
  const header = request.get('stripe-signature');
  if (header === undefined || header.trim() === '') {
    deps.logger.warn({ provider: 'stripe', reason: 'missing_signature' }, 'Webhook rejected');
    throw new AppError(ErrorCode.InvalidSignature, 'Missing Stripe-Signature header');
  }
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
    throw new AppError(ErrorCode.InvalidJson, 'Webhook body is empty');
  }
  const secret = await resolveStripeWebhookSecret(deps.config);
  try {
    return deps.stripe().webhooks.constructEvent(request.body, header, secret);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      // Stripe's message may describe the expected secret, so the caller gets a message of our own.
      const stale = error.message === 'Timestamp outside the tolerance zone';
      deps.logger.warn({ provider: 'stripe', reason: stale ? 'stale' : 'invalid_signature' }, 'Webhook rejected');
      throw stale
        ? new AppError(ErrorCode.StaleWebhook, 'Stripe-Signature timestamp is older than 300 seconds')
        : new AppError(ErrorCode.InvalidSignature, 'Stripe-Signature does not match the body');
    }
    if (error instanceof SyntaxError) {
      throw new AppError(ErrorCode.InvalidJson, 'Webhook body is not valid JSON');
    }
    throw error;
  }
}

/**
 * Records the event id, then applies the event. A repeated id is a duplicate and is not applied again. If
 * applying fails, the record is removed and the response is 503, so Stripe's retry is applied in full.
 */
async function applyOnce(
  deps: StripeWebhookDeps,
  event: Stripe.Event,
  organizationId: string,
  apply: () => Promise<void>,
): Promise<'applied' | 'duplicate'> {
  let recordId: string;
  try {
    ({ id: recordId } = await deps.prisma.webhookEvent.create({
      data: { provider: 'stripe', eventId: event.id, eventType: event.type, subjectId: organizationId },
      select: { id: true },
    }));
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      deps.logger.info({ provider: 'stripe', eventId: event.id }, 'Duplicate webhook ignored');
      return 'duplicate';
    }
    throw error;
  }

  try {
    await apply();
  } catch (error) {
    await deps.prisma.webhookEvent.delete({ where: { id: recordId } });
    deps.logger.error({ err: error, provider: 'stripe', eventId: event.id }, 'Stripe event could not be applied');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The event could not be applied; retry later');
  }
  deps.logger.info(
    { provider: 'stripe', eventId: event.id, eventType: event.type, organizationId },
    'Webhook delivered',
  );

  return 'applied';
}

async function applyEvent(
  deps: StripeWebhookDeps,
  event: Stripe.Event,
  object: EventObject,
  organizationId: string,
): Promise<void> {
  const subscriptionId = event.type.startsWith('customer.subscription.')
    ? object.id
    : event.type === 'checkout.session.completed'
      ? idOf(object.subscription)
      : idOf(object.parent?.subscription_details?.subscription);
  if (subscriptionId !== undefined) {
    const subscription = await deps.stripe().subscriptions.retrieve(subscriptionId);
    await applySubscription(deps.prisma, planPricesFrom(deps.config), subscription, new Date(event.created * 1000));
  }

  const grace = deps.temporal.workflow.getHandle(billingGraceWorkflowId(organizationId));
  if (event.type === 'invoice.payment_failed') {
    await deps.temporal.workflow.signalWithStart(billingGrace, {
      workflowId: billingGraceWorkflowId(organizationId),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ organizationId, graceDays: deps.config.BILLING_GRACE_DAYS }],
      signal: paymentFailedSignal,
      signalArgs: [{ invoiceId: object.id }],
      typedSearchAttributes: [{ key: organizationIdKey, value: organizationId }],
    });
  } else if (event.type === 'invoice.paid') {
    await signalIfRunning(grace.signal(paymentReceivedSignal, { invoiceId: object.id }));
  } else if (event.type === 'customer.subscription.deleted') {
    await signalIfRunning(grace.signal(subscriptionEndedSignal));
  }
}

/** Awaits a signal to the grace workflow; with no grace period running, a payment or cancellation has nothing to end. */
async function signalIfRunning(signal: Promise<void>): Promise<void> {
  try {
    await signal;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) {
      throw error;
    }
  }
}

function idOf(reference: string | { id: string } | null | undefined): string | undefined {
  if (reference === null || reference === undefined) {
    return undefined;
  }

  return typeof reference === 'string' ? reference : reference.id;
}
