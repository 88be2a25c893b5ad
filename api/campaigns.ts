import { ApplicationFailure } from '@temporalio/common';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { generateInstantlySecret, instantlySecretHeader } from '../lib/campaigns/webhook-secrets';
import { selectRecipients } from '../lib/campaigns/recipients';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { campaignIdKey, organizationIdKey } from '../lib/search-attributes';
import { campaignWorkflowId, pauseCampaignUpdate, resumeCampaignUpdate } from '../workflows/campaign';
import type { campaign as campaignWorkflow } from '../workflows/campaign';
import { type Principal, principalOf } from './auth';
import { parseOrThrow } from './errors';

// Outbound campaigns: create one for a list of the company's prospects, read it with its recipients,
// pause and resume it. Pause and resume are Temporal Updates, so a campaign in the wrong state is
// rejected (409) by the workflow's validator before anything reaches Instantly.

const ZCreateCampaignSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    prospectIds: z.array(z.uuid()).min(1).max(5000),
  })
  .strict();

export interface CampaignRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
}

export function campaignRoutes(deps: CampaignRouteDeps): Router {
  const router = Router();
  const { prisma } = deps;

  router.post('/', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const body = parseOrThrow(ZCreateCampaignSchema, request.body);
    const created = await createCampaign(deps, principal, body);

    response.status(201).location(`/api/campaigns/${created.campaign.id}`).json(created);
  });

  router.get('/', async (request, response) => {
    const principal = principalOf(request);
    const campaigns = await prisma.campaign.findMany({
      where: { organizationId: principal.organizationId },
      orderBy: { createdAt: 'desc' },
      include: { _count: { select: { recipients: true } } },
    });

    response.json({
      campaigns: campaigns.map(({ _count, ...campaign }) => ({
        ...presentCampaign(campaign),
        recipients: _count.recipients,
      })),
    });
  });

  router.get('/:id', async (request, response) => {
    const principal = principalOf(request);
    const campaign = await findCampaign(prisma, principal, request.params.id);
    const recipients = await prisma.campaignRecipient.findMany({
      where: { campaignId: campaign.id },
      orderBy: { email: 'asc' },
      select: { id: true, prospectId: true, email: true, status: true, statusAt: true },
    });

    response.json({ campaign: presentCampaign(campaign), recipients });
  });

  for (const [action, update] of [
    ['pause', pauseCampaignUpdate],
    ['resume', resumeCampaignUpdate],
  ] as const) {
    router.post(`/:id/${action}`, async (request, response) => {
      const principal = principalOf(request, ['rep', 'admin']);
      const campaign = await findCampaign(prisma, principal, request.params.id);
      const state = await runStatusUpdate(deps.temporal, campaign.id, () =>
        deps.temporal.workflow
          .getHandle(campaignWorkflowId(campaign.id))
          .executeUpdate(update, { args: [{ requestedBy: principal.userId }] }),
      );

      response.json({ campaign: { ...presentCampaign(campaign), status: state.status } });
    });
  }

  return router;
}

/** Admin route: a new Instantly webhook secret, shown once; only its SHA-256 is kept. */
export function instantlySecretRoutes(deps: CampaignRouteDeps): Router {
  const router = Router();
  router.post('/', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const { secret, hash } = generateInstantlySecret();
    await deps.prisma.organization.upsert({
      where: { id: principal.organizationId },
      create: { id: principal.organizationId, name: principal.organizationId, instantlyWebhookSecretHash: hash },
      update: { instantlyWebhookSecretHash: hash },
    });
    await deps.prisma.auditEvent.create({
      data: {
        organizationId: principal.organizationId,
        actorUserId: principal.userId,
        action: 'instantly.webhook_secret_rotated',
        subjectType: 'organization',
        subjectId: principal.organizationId,
      },
    });

    const webhookPath = `/webhooks/instantly/${encodeURIComponent(principal.organizationId)}`;
    response.status(201).json({
      secret,
      headerName: instantlySecretHeader,
      webhookPath,
      webhookUrl: `${deps.config.publicBaseUrl}${webhookPath}`,
    });
  });

  return router;
}

async function runStatusUpdate<T>(temporal: Client, campaignId: string, update: () => Promise<T>): Promise<T> {
  try {
    return await update();
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      if (error.cause.type === ErrorCode.Conflict) {
        throw new AppError(ErrorCode.Conflict, error.cause.message);
      }
      throw new AppError(ErrorCode.ProviderUnavailable, 'Instantly did not accept the change; retry shortly', {
        cause: error,
      });
    }
    if (error instanceof WorkflowNotFoundError) {
      throw new AppError(ErrorCode.Conflict, `Campaign ${campaignId} is no longer running`);
    }
    throw error;
  }
}

type CreateCampaignBody = z.infer<typeof ZCreateCampaignSchema>;

async function createCampaign(deps: CampaignRouteDeps, principal: Principal, body: CreateCampaignBody) {
  const { prisma } = deps;
  const selection = await selectRecipients(prisma, principal.organizationId, body.prospectIds);
  if (selection.unknownProspectIds.length > 0) {
    throw new AppError(ErrorCode.NotFound, `Prospects not found: ${selection.unknownProspectIds.join(', ')}`);
  }
  if (selection.recipients.length === 0) {
    throw new AppError(ErrorCode.InvalidRequest, 'No prospect can be emailed: every address is missing or suppressed', {
      details: { excluded: selection.excluded },
    });
  }
  await prisma.user.upsert({ where: { id: principal.userId }, create: { id: principal.userId }, update: {} });
  const campaign = await prisma.campaign.create({
    data: {
      organizationId: principal.organizationId,
      createdById: principal.userId,
      name: body.name,
      recipients: { create: selection.recipients },
    },
  });
  try {
    await deps.temporal.workflow.start<typeof campaignWorkflow>('campaign', {
      workflowId: campaignWorkflowId(campaign.id),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ campaignId: campaign.id, organizationId: campaign.organizationId }],
      typedSearchAttributes: [
        { key: campaignIdKey, value: campaign.id },
        { key: organizationIdKey, value: campaign.organizationId },
      ],
    });
  } catch (error) {
    await prisma.campaign.delete({ where: { id: campaign.id } });
    deps.logger.error({ err: error, campaignId: campaign.id }, 'Campaign workflow did not start');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The workflow service is unavailable; retry shortly');
  }
  deps.logger.info({ campaignId: campaign.id, recipients: selection.recipients.length }, 'Campaign created');

  return {
    campaign: presentCampaign(campaign),
    recipients: selection.recipients,
    excluded: selection.excluded,
  };
}

async function findCampaign(prisma: PrismaClient, principal: Principal, id: string | undefined) {
  const notFound = new AppError(ErrorCode.NotFound, `Campaign ${id ?? ''} not found`);
  if (!z.uuid().safeParse(id).success) {
    throw notFound;
  }
  const campaign = await prisma.campaign.findFirst({ where: { id, organizationId: principal.organizationId } });
  if (campaign === null) {
    throw notFound;
  }

  return campaign;
}

function presentCampaign(campaign: {
  id: string;
  name: string;
  status: string;
  instantlyCampaignId: string | null;
  createdAt: Date;
}) {
  return {
    id: campaign.id,
    name: campaign.name,
    status: campaign.status,
    instantlyCampaignId: campaign.instantlyCampaignId,
    createdAt: campaign.createdAt,
    workflowId: campaignWorkflowId(campaign.id),
  };
}
