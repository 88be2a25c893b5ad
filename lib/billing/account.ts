import type Stripe from 'stripe';
import type { PrismaClient, SubscriptionStatus } from '../generated/prisma/client';
import { plans, planForPrice, type PlanPrices, type TPlanName } from './plans';

// Writes to a company's billing account. Subscription state is always copied from a subscription just read
// from Stripe, never from an event's snapshot, so events applied in any order leave Stripe's current state.
// A restriction (grace period over without payment) is set and lifted only by the grace workflow.

const statusByStripeStatus: Record<string, SubscriptionStatus> = {
  active: 'active',
  trialing: 'trialing',
  past_due: 'past_due',
  unpaid: 'past_due',
  incomplete: 'none',
  incomplete_expired: 'canceled',
  canceled: 'canceled',
  paused: 'canceled',
};

/** Statuses in which the subscription's plan is granted; the others fall back to the free plan. */
const grantingStatuses: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing', 'past_due']);

export interface AppliedSubscription {
  organizationId: string;
  plan: TPlanName;
  status: SubscriptionStatus;
}

/**
 * Copies a subscription read from Stripe onto the account that owns its customer.
 * NOTE: two deliveries handled at the same moment may write in the opposite order to their reads, leaving the
 * older read until the next event; nothing orders them, because Stripe subscriptions carry no version. Returns undefined when no
 * account has that customer. A restricted account keeps its restriction and its free-plan allowance.
 */
export async function applySubscription(
  prisma: PrismaClient,
  prices: PlanPrices,
  subscription: Stripe.Subscription,
  eventCreatedAt?: Date,
): Promise<AppliedSubscription | undefined> {
  const customerId = typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
  const account = await prisma.billingAccount.findUnique({ where: { stripeCustomerId: customerId } });
  if (account === null) {
    return undefined;
  }

  const item = subscription.items.data[0];
  const status = statusByStripeStatus[subscription.status] ?? 'none';
  const paidPlan = item === undefined ? undefined : planForPrice(prices, item.price.id);
  const plan: TPlanName = grantingStatuses.has(status) ? (paidPlan ?? 'free') : 'free';
  const lastEventCreatedAt =
    eventCreatedAt !== undefined && (account.lastEventCreatedAt ?? new Date(0)) < eventCreatedAt
      ? eventCreatedAt
      : account.lastEventCreatedAt;
  const { organizationId } = account;

  await prisma.billingAccount.update({
    where: { organizationId },
    data: {
      stripeSubscriptionId: subscription.id,
      plan,
      currentPeriodEnd: item === undefined ? null : new Date(item.current_period_end * 1000),
      lastEventCreatedAt,
      ...(status === 'canceled' ? { graceEndsAt: null } : {}),
    },
  });
  // The status guard sits in the UPDATE itself, so a restriction the grace workflow sets or lifts between
  // this function's read and write is never overwritten. Only a cancellation replaces a restriction.
  const granted = await prisma.billingAccount.updateMany({
    where: { organizationId, ...(status === 'canceled' ? {} : { status: { not: 'restricted' } }) },
    data: { status, recordedMinutesPerMonth: plans[plan].recordedMinutesPerMonth },
  });
  const restricted = granted.count === 0;

  return { organizationId: account.organizationId, plan, status: restricted ? 'restricted' : status };
}

export async function startGracePeriod(prisma: PrismaClient, organizationId: string, graceEndsAt: Date) {
  await prisma.billingAccount.update({ where: { organizationId }, data: { graceEndsAt } });
  await audit(prisma, organizationId, 'billing.grace_period_started', { graceEndsAt: graceEndsAt.toISOString() });
}

/** Grants only the free plan's allowance while keeping the plan's name, so lifting can restore it. */
export async function restrictPlan(prisma: PrismaClient, organizationId: string): Promise<void> {
  const account = await prisma.billingAccount.update({
    where: { organizationId },
    data: { status: 'restricted', recordedMinutesPerMonth: plans.free.recordedMinutesPerMonth },
  });
  await audit(prisma, organizationId, 'billing.plan_restricted', {
    plan: account.plan,
    recordedMinutesPerMonth: account.recordedMinutesPerMonth,
  });
}

/** Ends a grace period: a payment restores the plan's allowance; a cancelled subscription leaves the free plan. */
export async function endGracePeriod(
  prisma: PrismaClient,
  organizationId: string,
  outcome: 'paid' | 'subscription_ended',
): Promise<void> {
  const account = await prisma.billingAccount.findUniqueOrThrow({ where: { organizationId } });
  const plan = outcome === 'paid' ? (account.plan as TPlanName) : 'free';
  const wasRestricted = account.status === 'restricted';
  await prisma.billingAccount.update({
    where: { organizationId },
    data: {
      graceEndsAt: null,
      plan,
      recordedMinutesPerMonth: (plans[plan] ?? plans.free).recordedMinutesPerMonth,
      ...(outcome === 'paid' ? { status: 'active' } : wasRestricted ? { status: 'canceled' } : {}),
    },
  });
  await audit(prisma, organizationId, wasRestricted ? 'billing.restriction_lifted' : 'billing.grace_period_ended', {
    outcome,
    plan,
  });
}

async function audit(
  prisma: PrismaClient,
  organizationId: string,
  action: string,
  data: Record<string, string | number>,
) {
  await prisma.auditEvent.create({
    data: { organizationId, action, subjectType: 'billing_account', subjectId: organizationId, data },
  });
}
