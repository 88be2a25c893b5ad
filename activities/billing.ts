import { log } from '@temporalio/activity';
import { endGracePeriod, restrictPlan, startGracePeriod } from '../lib/billing/account';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { BillingActivities } from './types';

// Billing account writes of the grace-period workflow. Each is safe to repeat: it sets a state rather
// than stepping one, and a repeat writes one more audit row at most.

type AccountActivities = Pick<BillingActivities, 'beginGracePeriod' | 'restrictPlan' | 'endGracePeriod'>;

export function createBillingActivities({ prisma }: { prisma: PrismaClient }): AccountActivities {
  return {
    async beginGracePeriod({ organizationId, graceEndsAtMs }) {
      await startGracePeriod(prisma, organizationId, new Date(graceEndsAtMs));
      log.info('Billing grace period started', { organizationId, graceEndsAtMs });
    },

    async restrictPlan({ organizationId }) {
      await restrictPlan(prisma, organizationId);
      log.warn('Plan restricted after an unpaid grace period', { organizationId });
    },

    async endGracePeriod({ organizationId, outcome }) {
      await endGracePeriod(prisma, organizationId, outcome);
      log.info('Billing grace period ended', { organizationId, outcome });
    },
  };
}
