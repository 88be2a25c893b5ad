import { log } from '@temporalio/activity';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { CampaignActivities } from '../lib/campaigns/activity-types';

// The campaign's own rows: its status, and an audit row that records who made each change.

export function createCampaignDatabaseActivities(deps: {
  prisma: PrismaClient;
}): Pick<CampaignActivities, 'recordCampaignStatus'> {
  const { prisma } = deps;

  return {
    async recordCampaignStatus({ campaignId, status, actorUserId }) {
      const campaign = await prisma.campaign.update({ where: { id: campaignId }, data: { status } });
      await prisma.auditEvent.create({
        data: {
          organizationId: campaign.organizationId,
          actorUserId: actorUserId ?? null,
          action: 'campaign.status_changed',
          subjectType: 'campaign',
          subjectId: campaignId,
          data: { to: status },
        },
      });
      log.info('Campaign status recorded', { campaignId, status });
    },
  };
}
