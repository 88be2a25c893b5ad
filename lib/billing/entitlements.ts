import { AppError, ErrorCode } from '../errors';
import type { PrismaClient } from '../generated/prisma/client';
import { billingMonth, plans } from './plans';

// What a company may do now, read from its billing account and this month's usage rows. A company with no
// billing account is on the free plan.

export const recordedMinutesMetric = 'recorded_minutes';

export interface Entitlements {
  plan: string;
  status: string;
  recordedMinutesPerMonth: number;
  recordedMinutesUsed: number;
  /** When this month's allowance starts again. */
  resetsAt: Date;
}

export async function readEntitlements(
  prisma: PrismaClient,
  organizationId: string,
  now: Date = new Date(),
): Promise<Entitlements> {
  const month = billingMonth(now);
  const [account, usage] = await Promise.all([
    prisma.billingAccount.findUnique({ where: { organizationId } }),
    prisma.usageRecord.aggregate({
      where: { organizationId, metric: recordedMinutesMetric, recordedAt: { gte: month.start, lt: month.end } },
      _sum: { quantity: true },
    }),
  ]);

  return {
    plan: account?.plan ?? 'free',
    status: account?.status ?? 'none',
    recordedMinutesPerMonth: account?.recordedMinutesPerMonth ?? plans.free.recordedMinutesPerMonth,
    recordedMinutesUsed: usage._sum.quantity ?? 0,
    resetsAt: month.end,
  };
}

/**
 * Throws plan_limit_exceeded (HTTP 402) when the company has used all of this month's recorded minutes.
 * The check runs before a meeting exists, so a call in progress may still take the month past its allowance.
 */
export async function assertMeetingAllowed(
  prisma: PrismaClient,
  organizationId: string,
  now: Date = new Date(),
): Promise<Entitlements> {
  const entitlements = await readEntitlements(prisma, organizationId, now);
  const { recordedMinutesUsed: used, recordedMinutesPerMonth: limit } = entitlements;
  if (used >= limit) {
    const restricted = entitlements.status === 'restricted' ? ' (restricted after an unpaid invoice)' : '';
    throw new AppError(
      ErrorCode.PlanLimitExceeded,
      `Recorded minutes used up: ${used} of ${limit} this month on the ${entitlements.plan} plan${restricted}. ` +
        `Upgrade the plan or wait until ${entitlements.resetsAt.toISOString()}.`,
      { details: { limit, used, plan: entitlements.plan, resetsAt: entitlements.resetsAt.toISOString() } },
    );
  }

  return entitlements;
}
