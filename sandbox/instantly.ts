import express, { Router } from 'express';
import { z } from 'zod';
import type { SandboxContext } from './context';
import { derivedUuid } from './ids';
import { providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';
import { deliverWebhook } from './webhook-delivery';

// Instantly.ai API v2 stand-in, mounted at /instantly: campaigns, leads, activate and pause, warm-up,
// the block list. Campaign status is Instantly's number (0 draft, 1 active, 2 paused). Its control routes
// under /_sandbox/instantly play the admin's webhook settings (URL and custom headers), send events as
// Instantly's webhook would, and show what the product created.

const instantlyErrors: ProviderErrors = {
  unauthenticated: (res) =>
    void res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' }),
  invalidJson: (res) =>
    void res.status(400).json({ statusCode: 400, error: 'Bad Request', message: 'Body is not valid JSON' }),
  rateLimited: (res) =>
    void res.status(429).json({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded' }),
  serverError: (res) =>
    void res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' }),
};

interface InstantlyCampaign {
  id: string;
  name: string;
  status: number;
  email_list: string[];
  timestamp_created: string;
}

interface InstantlyLead {
  id: string;
  campaign: string;
  email: string;
  first_name?: string;
  company_name?: string;
}

const ZCreateCampaignSchema = z.object({
  name: z.string().min(1),
  campaign_schedule: z.object({ schedules: z.array(z.unknown()).min(1) }),
  email_list: z.array(z.string()).default([]),
});

const ZCreateLeadSchema = z.object({
  campaign: z.string().min(1),
  email: z.email(),
  first_name: z.string().optional(),
  company_name: z.string().optional(),
  skip_if_in_campaign: z.boolean().default(false),
});

const ZWebhookSettingsSchema = z.object({ url: z.url(), headers: z.record(z.string(), z.string()).default({}) });

const ZSendEventSchema = z.object({
  event_type: z.string().min(1),
  campaign_id: z.string().min(1),
  lead_email: z.email().optional(),
  /** ISO time of the event; now by default. Two sends with the same time and fields are the same event. */
  timestamp: z.iso.datetime().optional(),
});

export function instantlySandbox(context: SandboxContext): { api: Router; control: Router } {
  const campaigns = new Map<string, InstantlyCampaign>();
  const leads: InstantlyLead[] = [];
  const blockList = new Set<string>();
  const warmupAccounts = new Set<string>();
  let webhook: z.infer<typeof ZWebhookSettingsSchema> | undefined;
  let sequence = 0;

  const api = Router();
  api.use(
    providerGate(context, {
      provider: 'instantly',
      errors: instantlyErrors,
      isAuthenticated: (req) => /^Bearer\s+\S+/.test(req.get('authorization') ?? ''),
    }),
  );
  api.use(...providerJsonBody(instantlyErrors));
  const badRequest = (res: express.Response, message: string) =>
    void res.status(400).json({ statusCode: 400, error: 'Bad Request', message });
  const campaignNotFound = (res: express.Response) =>
    void res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'Campaign not found' });

  api.get('/api/v2/campaigns', (req, res) => {
    const search = typeof req.query.search === 'string' ? req.query.search : '';
    const items = [...campaigns.values()].filter((campaign) => campaign.name.includes(search));
    res.json({ items: items.slice(0, 100), next_starting_after: null });
  });

  api.post('/api/v2/campaigns', (req, res) => {
    const parsed = ZCreateCampaignSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, `body/${parsed.error.issues[0]?.path.join('/') ?? ''} is invalid`);
      return;
    }
    sequence += 1;
    const campaign: InstantlyCampaign = {
      id: derivedUuid('instantly-campaign', sequence, parsed.data.name),
      name: parsed.data.name,
      status: 0,
      email_list: parsed.data.email_list,
      timestamp_created: new Date().toISOString(),
    };
    campaigns.set(campaign.id, campaign);
    res.json(campaign);
  });

  for (const [action, status] of [
    ['activate', 1],
    ['pause', 2],
  ] as const) {
    api.post(`/api/v2/campaigns/:id/${action}`, (req, res) => {
      const campaign = campaigns.get(req.params.id);
      if (campaign === undefined) {
        campaignNotFound(res);
        return;
      }
      campaign.status = status;
      res.json(campaign);
    });
  }

  api.post('/api/v2/leads', (req, res) => {
    const parsed = ZCreateLeadSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, `body/${parsed.error.issues[0]?.path.join('/') ?? ''} is invalid`);
      return;
    }
    const { skip_if_in_campaign: skipIfInCampaign, ...fields } = parsed.data;
    if (!campaigns.has(fields.campaign)) {
      campaignNotFound(res);
      return;
    }
    const existing = leads.find((lead) => lead.campaign === fields.campaign && lead.email === fields.email);
    if (existing !== undefined && skipIfInCampaign) {
      res.json(existing);
      return;
    }
    sequence += 1;
    const lead: InstantlyLead = { id: derivedUuid('instantly-lead', sequence, fields.email), ...fields };
    leads.push(lead);
    res.json(lead);
  });

  api.post('/api/v2/accounts/warmup/enable', (req, res) => {
    const emails = z.object({ emails: z.array(z.email()).min(1) }).safeParse(req.body);
    if (!emails.success) {
      badRequest(res, 'body/emails must be a non-empty list of addresses');
      return;
    }
    emails.data.emails.forEach((email) => warmupAccounts.add(email));
    sequence += 1;
    res.json({ id: derivedUuid('instantly-job', sequence), type: 'warmup-enable', status: 'pending' });
  });

  api.post('/api/v2/block-lists-entries', (req, res) => {
    const entry = z.object({ bl_value: z.string().min(1) }).safeParse(req.body);
    if (!entry.success) {
      badRequest(res, 'body/bl_value is required');
      return;
    }
    blockList.add(entry.data.bl_value.toLowerCase());
    res.json({
      id: derivedUuid('instantly-block', entry.data.bl_value),
      bl_value: entry.data.bl_value,
      is_domain: !entry.data.bl_value.includes('@'),
    });
  });

  const control = Router();
  control.use(express.json({ limit: '1mb' }));
  control.put('/webhook', (req, res) => {
    const parsed = ZWebhookSettingsSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'Expected { url, headers? }' });
      return;
    }
    webhook = parsed.data;
    res.json({ url: webhook.url, headerNames: Object.keys(webhook.headers) });
  });
  control.post('/events', async (req, res) => {
    const parsed = ZSendEventSchema.safeParse(req.body);
    if (!parsed.success || webhook === undefined) {
      res.status(400).json({ error: webhook === undefined ? 'Configure /webhook first' : 'Invalid event' });
      return;
    }
    const campaign = campaigns.get(parsed.data.campaign_id);
    const body = JSON.stringify({
      timestamp: parsed.data.timestamp ?? new Date().toISOString(),
      event_type: parsed.data.event_type,
      workspace: derivedUuid('instantly-workspace'),
      campaign_id: parsed.data.campaign_id,
      campaign_name: campaign?.name ?? '',
      ...(parsed.data.lead_email === undefined ? {} : { lead_email: parsed.data.lead_email }),
    });
    const copies = context.faults.take('instantly', 'duplicate_webhooks') === undefined ? 1 : 2;
    const outcomes = [];
    for (let copy = 0; copy < copies; copy += 1) {
      outcomes.push(
        await deliverWebhook(
          { url: webhook.url, body, headersForAttempt: () => webhook!.headers, logFields: { provider: 'instantly' } },
          { scheduler: context.scheduler, retryDelaysMs: context.webhookRetryDelaysMs, log: context.log },
        ),
      );
    }
    res.json({ deliveries: outcomes });
  });
  control.get('/state', (_req, res) => {
    res.json({
      campaigns: [...campaigns.values()],
      leads,
      blockList: [...blockList],
      warmupAccounts: [...warmupAccounts],
    });
  });

  return { api, control };
}
