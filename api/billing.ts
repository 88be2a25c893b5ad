import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type Stripe from 'stripe';
import { z } from 'zod';
import { readEntitlements } from '../lib/billing/entitlements';
import { planPricesFrom } from '../lib/billing/stripe-client';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { principalOf } from './auth';
import { parseOrThrow } from './errors';

// Billing routes. Anyone in the company reads its plan, status, allowance and this month's usage. Admins
// start a Stripe Checkout Session to buy a plan, or a billing portal session to change or cancel it.

const ZCheckoutSchema = z.object({ plan: z.enum(['pro', 'enterprise']) }).strict();
const ZIdempotencyKeySchema = z.string().trim().min(8).max(200).optional();

export interface BillingRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  logger: Logger;
  stripe: () => Stripe;
}

export function billingRoutes(deps: BillingRouteDeps): Router {
  const router = Router();

  router.get('/', async (request, response) => {
    const principal = principalOf(request);
    const organizationId = principal.organizationId;
    const [account, entitlements] = await Promise.all([
      deps.prisma.billingAccount.findUnique({ where: { organizationId } }),
      readEntitlements(deps.prisma, organizationId),
    ]);

    response.json({
      plan: entitlements.plan,
      status: entitlements.status,
      entitlements: { recordedMinutesPerMonth: entitlements.recordedMinutesPerMonth },
      usage: { recordedMinutes: entitlements.recordedMinutesUsed, resetsAt: entitlements.resetsAt },
      currentPeriodEnd: account?.currentPeriodEnd ?? null,
      graceEndsAt: account?.graceEndsAt ?? null,
    });
  });

  router.post('/checkout', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const { plan } = parseOrThrow(ZCheckoutSchema, request.body);
    const requestKey = parseOrThrow(ZIdempotencyKeySchema, request.get('idempotency-key'), 'Idempotency-Key header');
    const customerId = await ensureCustomer(deps, principal.organizationId);
    const session = await callStripe(deps, 'checkout', () =>
      deps.stripe().checkout.sessions.create(
        {
          mode: 'subscription',
          customer: customerId,
          line_items: [{ price: planPricesFrom(deps.config)[plan], quantity: 1 }],
          client_reference_id: principal.organizationId,
          metadata: { organization_id: principal.organizationId },
          subscription_data: { metadata: { organization_id: principal.organizationId } },
          success_url: `${deps.config.publicBaseUrl}/settings/billing?checkout=success`,
          cancel_url: `${deps.config.publicBaseUrl}/settings/billing?checkout=cancelled`,
        },
        // A client that retries with the same Idempotency-Key gets the same session back.
        { idempotencyKey: `checkout:${principal.organizationId}:${plan}:${requestKey ?? randomUUID()}` },
      ),
    );
    deps.logger.info({ organizationId: principal.organizationId, plan, sessionId: session.id }, 'Checkout started');

    response.status(201).json({ sessionId: session.id, url: session.url });
  });

  router.post('/portal', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const account = await deps.prisma.billingAccount.findUnique({
      where: { organizationId: principal.organizationId },
    });
    if (account?.stripeCustomerId == null) {
      throw new AppError(ErrorCode.Conflict, 'This company has no Stripe customer yet; start a checkout first');
    }
    const customer = account.stripeCustomerId;
    const session = await callStripe(deps, 'portal', () =>
      deps.stripe().billingPortal.sessions.create({
        customer,
        return_url: `${deps.config.publicBaseUrl}/settings/billing`,
      }),
    );

    response.status(201).json({ url: session.url });
  });

  return router;
}

/** Returns the company's Stripe customer, creating it once; the idempotency key makes a race create one. */
async function ensureCustomer(deps: BillingRouteDeps, organizationId: string): Promise<string> {
  const organization = await deps.prisma.organization.upsert({
    where: { id: organizationId },
    create: { id: organizationId, name: organizationId },
    update: {},
  });
  const account = await deps.prisma.billingAccount.upsert({
    where: { organizationId },
    create: { organizationId },
    update: {},
  });
  if (account.stripeCustomerId !== null) {
    return account.stripeCustomerId;
  }
  const customer = await callStripe(deps, 'customer', () =>
    deps
      .stripe()
      .customers.create(
        { name: organization.name, metadata: { organization_id: organizationId } },
        { idempotencyKey: `customer:${organizationId}` },
      ),
  );
  await deps.prisma.billingAccount.updateMany({
    where: { organizationId, stripeCustomerId: null },
    data: { stripeCustomerId: customer.id },
  });

  return customer.id;
}

async function callStripe<T>(deps: BillingRouteDeps, step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    deps.logger.error({ err: error, step }, 'Stripe request failed');
    throw new AppError(ErrorCode.ProviderUnavailable, 'Stripe did not accept the request; retry shortly');
  }
}
