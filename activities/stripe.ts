import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import { applySubscription } from '../lib/billing/account';
import type { PlanPrices } from '../lib/billing/plans';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { providerFailure } from './provider-failure';
import type { BillingActivities } from './types';

// Stripe reads for workflows. The subscription is read fresh and copied onto the billing account, so the
// workflow decides on Stripe's current state rather than on the webhooks it happened to receive.

export interface StripeActivityDeps {
  stripe: Stripe;
  prisma: PrismaClient;
  prices: PlanPrices;
}

export function createStripeActivities(deps: StripeActivityDeps): Pick<BillingActivities, 'readPaymentStanding'> {
  return {
    async readPaymentStanding({ organizationId }) {
      const account = await deps.prisma.billingAccount.findUnique({ where: { organizationId } });
      if (account === null) {
        throw ApplicationFailure.nonRetryable(`Company ${organizationId} has no billing account`, ErrorCode.NotFound);
      }
      if (account.stripeSubscriptionId === null) {
        return 'subscription_ended';
      }
      const subscription = await retrieveSubscription(deps.stripe, account.stripeSubscriptionId);
      const applied = await applySubscription(deps.prisma, deps.prices, subscription);
      if (subscription.status === 'active' || subscription.status === 'trialing') {
        return 'paid';
      }

      return applied?.status === 'canceled' ? 'subscription_ended' : 'unpaid';
    },
  };
}

/** Reads a subscription, turning Stripe's 4xx into a non-retryable failure and anything else into a retry. */
export async function retrieveSubscription(stripe: Stripe, subscriptionId: string): Promise<Stripe.Subscription> {
  try {
    return await stripe.subscriptions.retrieve(subscriptionId);
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    throw providerFailure('stripe', status, (error as Error).message, error);
  }
}
