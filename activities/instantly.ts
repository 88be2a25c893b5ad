import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { providerFailure } from './provider-failure';
import type { CampaignActivities } from '../lib/campaigns/activity-types';

// Instantly.ai through its v2 REST API (Bearer key). Instantly has no idempotency keys, so every create
// looks up first: a campaign by the product's marker in its name, a lead with `skip_if_in_campaign`.

const ZCampaignSchema = z.object({ id: z.string(), name: z.string(), status: z.number().optional() });
const ZCampaignListSchema = z.object({ items: z.array(ZCampaignSchema) });

export class InstantlyClient {
  constructor(private readonly options: { baseUrl: string; apiKey: string; timeoutMs?: number }) {}

  async findCampaigns(search: string): Promise<Array<z.infer<typeof ZCampaignSchema>>> {
    const query = new URLSearchParams({ search, limit: '100' });

    return ZCampaignListSchema.parse(await this.request('GET', `/api/v2/campaigns?${query.toString()}`)).items;
  }

  async createCampaign(body: { name: string; campaign_schedule: unknown; email_list: string[] }) {
    return ZCampaignSchema.parse(await this.request('POST', '/api/v2/campaigns', body));
  }

  // NOTE: `skip_if_in_campaign` comes from Instantly's bulk lead upload options. Only the stand-in has been run
  // against it, so at the real Instantly a retried add may create a second lead.
  async addLead(body: { campaign: string; email: string; first_name?: string; company_name?: string }) {
    await this.request('POST', '/api/v2/leads', { ...body, skip_if_in_campaign: true });
  }

  async enableWarmup(emails: string[]): Promise<void> {
    await this.request('POST', '/api/v2/accounts/warmup/enable', { emails });
  }

  async activateCampaign(instantlyCampaignId: string): Promise<void> {
    await this.request('POST', `/api/v2/campaigns/${encodeURIComponent(instantlyCampaignId)}/activate`);
  }

  async pauseCampaign(instantlyCampaignId: string): Promise<void> {
    await this.request('POST', `/api/v2/campaigns/${encodeURIComponent(instantlyCampaignId)}/pause`);
  }

  async addBlockListEntry(value: string): Promise<void> {
    await this.request('POST', '/api/v2/block-lists-entries', { bl_value: value });
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.apiKey}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw providerFailure('instantly', undefined, 'no response', error);
    }
    const text = await response.text();
    if (!response.ok) {
      // Instantly's error bodies carry `message`; the request body (addresses) is never part of the error.
      const message = (safeJson(text) as { message?: unknown } | undefined)?.message;
      throw providerFailure('instantly', response.status, typeof message === 'string' ? message : response.statusText);
    }

    return text === '' ? {} : safeJson(text);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Marker in the campaign's name at Instantly, so a retried create finds the campaign it already made. */
export function instantlyCampaignMarker(campaignId: string): string {
  return `[sb:${campaignId}]`;
}

/** Sending window every campaign starts with; reps change it in Instantly. */
const defaultSchedule = {
  schedules: [
    {
      name: 'Business hours',
      timing: { from: '09:00', to: '17:00' },
      days: { 1: true, 2: true, 3: true, 4: true, 5: true },
      timezone: 'America/Chicago',
    },
  ],
};

export interface InstantlyActivityDeps {
  instantly: InstantlyClient;
  prisma: PrismaClient;
  /** The Instantly sending account (mailbox) campaigns send from and warm-up runs on. */
  sendingAccount: string;
}

type InstantlyActivities = Pick<
  CampaignActivities,
  | 'createInstantlyCampaign'
  | 'addCampaignLeads'
  | 'enableSendingWarmup'
  | 'activateInstantlyCampaign'
  | 'pauseInstantlyCampaign'
  | 'blockUnsubscribedAddress'
>;

export function createInstantlyActivities(deps: InstantlyActivityDeps): InstantlyActivities {
  const { instantly, prisma } = deps;
  const instantlyIdOf = async (campaignId: string): Promise<string> => {
    const row = await prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    if (row.instantlyCampaignId === null) {
      throw new Error(`Campaign ${campaignId} has no Instantly campaign yet`);
    }

    return row.instantlyCampaignId;
  };

  return {
    async createInstantlyCampaign({ campaignId }) {
      const row = await prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
      if (row.instantlyCampaignId !== null) {
        return { instantlyCampaignId: row.instantlyCampaignId };
      }
      const marker = instantlyCampaignMarker(campaignId);
      const existing = (await instantly.findCampaigns(marker)).find((campaign) => campaign.name.endsWith(marker));
      const created =
        existing ??
        (await instantly.createCampaign({
          name: `${row.name} ${marker}`,
          campaign_schedule: defaultSchedule,
          email_list: [deps.sendingAccount],
        }));
      await prisma.campaign.update({ where: { id: campaignId }, data: { instantlyCampaignId: created.id } });
      log.info('Instantly campaign ready', {
        campaignId,
        instantlyCampaignId: created.id,
        reused: existing !== undefined,
      });

      return { instantlyCampaignId: created.id };
    },

    async addCampaignLeads({ campaignId }) {
      const instantlyCampaignId = await instantlyIdOf(campaignId);
      const campaign = await prisma.campaign.findUniqueOrThrow({
        where: { id: campaignId },
        include: { recipients: { where: { status: 'pending' }, include: { prospect: true } } },
      });
      let added = 0;
      let suppressed = 0;
      for (const recipient of campaign.recipients) {
        Context.current().heartbeat(recipient.id);
        // Checked right before each send, because an unsubscribe may arrive while the campaign is launching.
        const suppression = await prisma.emailSuppression.findUnique({
          where: { organizationId_email: { organizationId: campaign.organizationId, email: recipient.email } },
        });
        if (suppression !== null) {
          await prisma.campaignRecipient.update({
            where: { id: recipient.id },
            data: { status: suppression.reason, statusAt: new Date() },
          });
          suppressed += 1;
          continue;
        }
        await instantly.addLead({
          campaign: instantlyCampaignId,
          email: recipient.email,
          first_name: recipient.prospect.name,
          ...(recipient.prospect.company ? { company_name: recipient.prospect.company } : {}),
        });
        added += 1;
      }
      log.info('Campaign leads added', { campaignId, added, suppressed });

      return { added, suppressed };
    },

    async enableSendingWarmup() {
      await instantly.enableWarmup([deps.sendingAccount]);
    },

    async activateInstantlyCampaign({ campaignId }) {
      await instantly.activateCampaign(await instantlyIdOf(campaignId));
    },

    async pauseInstantlyCampaign({ campaignId }) {
      await instantly.pauseCampaign(await instantlyIdOf(campaignId));
    },

    async blockUnsubscribedAddress({ recipientId }) {
      const recipient = await prisma.campaignRecipient.findUniqueOrThrow({ where: { id: recipientId } });
      await instantly.addBlockListEntry(recipient.email);
      log.info('Unsubscribed address blocked at Instantly', { recipientId });
    },
  };
}
