import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instantlySecretHeader } from '../lib/campaigns/webhook-secrets';
import { DEMO_ORGANIZATION_ID } from '../prisma/seed';
import {
  admin,
  createProspects,
  type CreatedCampaign,
  instantlyCampaignIdOf,
  instantlyState,
  launchCampaign,
  rep,
} from './support/campaign-fixtures';
import { startTestStack, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

// Instantly.ai webhooks against the real app, PostgreSQL, Temporal and the Instantly stand-in. The admin
// generates the company's secret through the API and enters it as the stand-in's custom webhook header,
// as they would in Instantly's webhook settings.

let stack: TestStack;
let secret: string;
let webhookUrl: string;

beforeAll(async () => {
  stack = await startTestStack();
  const generated = await stack.request('POST', '/api/settings/instantly-webhook-secret', { principal: admin });
  expect(generated.status).toBe(201);
  const { webhookPath } = generated.body as { secret: string; webhookPath: string };
  secret = (generated.body as { secret: string }).secret;
  // The API's own address, because the test stack picks its port after the app is configured.
  webhookUrl = `${stack.apiUrl}${webhookPath}`;
  const configured = await fetch(`${stack.sandbox.url}/_sandbox/instantly/webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: webhookUrl, headers: { [instantlySecretHeader]: secret } }),
  });
  expect(configured.status).toBe(200);
});

afterAll(async () => {
  await stack?.stop();
});

/** Has the stand-in send an event through the configured webhook; returns the status the API gave it. */
async function sendThroughInstantly(event: { event_type: string; campaign_id: string; lead_email?: string }) {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/instantly/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  const { deliveries } = (await response.json()) as { deliveries: Array<{ lastStatus: number | null }> };

  return deliveries.map((delivery) => delivery.lastStatus);
}

async function postDirectly(body: unknown, headers: Record<string, string>) {
  const response = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

  return { status: response.status, body: (await response.json()) as { outcome?: string; error?: { code: string } } };
}

async function launchedWith(count: number): Promise<{ created: CreatedCampaign; instantlyId: string }> {
  const prospects = await createProspects(stack, count);
  const created = await launchCampaign(
    stack,
    prospects.map((prospect) => prospect.id),
  );

  return { created, instantlyId: await instantlyCampaignIdOf(stack, created.campaign.id) };
}

async function recipientStatus(campaignId: string, email: string): Promise<string> {
  const recipient = await stack.database.prisma.campaignRecipient.findUniqueOrThrow({
    where: { campaignId_email: { campaignId, email } },
  });

  return recipient.status;
}

describe('Instantly webhook', () => {
  test('missing or wrong secret is rejected', async () => {
    const { created, instantlyId } = await launchedWith(1);
    const email = created.recipients[0]!.email;
    const event = { event_type: 'lead_unsubscribed', campaign_id: instantlyId, lead_email: email };

    const missing = await postDirectly(event, {});
    const wrong = await postDirectly(event, { [instantlySecretHeader]: `${secret}x` });

    expect(missing.status).toBe(401);
    expect(missing.body.error?.code).toBe('invalid_signature');
    expect(wrong.status).toBe(401);
    expect(await stack.database.prisma.emailSuppression.count({ where: { email } })).toBe(0);
    expect(await recipientStatus(created.campaign.id, email)).toBe('pending');
  });

  test('unknown campaign is rejected', async () => {
    const response = await postDirectly(
      { event_type: 'reply_received', campaign_id: 'c0ffee00-0000-4000-8000-000000000000', lead_email: 'a@b.example' },
      { [instantlySecretHeader]: secret },
    );

    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('unknown_webhook_subject');
  });

  test('duplicate delivery is applied once', async () => {
    const { created, instantlyId } = await launchedWith(1);
    const event = {
      timestamp: new Date().toISOString(),
      event_type: 'reply_received',
      campaign_id: instantlyId,
      lead_email: created.recipients[0]!.email,
    };

    const first = await postDirectly(event, { [instantlySecretHeader]: secret });
    const second = await postDirectly(event, { [instantlySecretHeader]: secret });

    expect(first.body.outcome).toBe('applied');
    expect(second.status).toBe(200);
    expect(second.body.outcome).toBe('duplicate');
    expect(await recipientStatus(created.campaign.id, event.lead_email)).toBe('replied');
  });

  test('unsubscribe stops later sends at once', async () => {
    const { created, instantlyId } = await launchedWith(2);
    const [leaving, staying] = created.recipients;

    const statuses = await sendThroughInstantly({
      event_type: 'lead_unsubscribed',
      campaign_id: instantlyId,
      lead_email: leaving!.email,
    });

    expect(statuses).toEqual([200]);
    const suppression = await stack.database.prisma.emailSuppression.findUnique({
      where: { organizationId_email: { organizationId: DEMO_ORGANIZATION_ID, email: leaving!.email } },
    });
    expect(suppression?.reason).toBe('unsubscribed');
    expect(await recipientStatus(created.campaign.id, leaving!.email)).toBe('unsubscribed');
    expect(await recipientStatus(created.campaign.id, staying!.email)).toBe('pending');

    const later = await launchCampaign(stack, [leaving!.prospectId, staying!.prospectId]);
    expect(later.excluded).toEqual([
      { prospectId: leaving!.prospectId, email: leaving!.email, reason: 'unsubscribed' },
    ]);
    const laterInstantlyId = await instantlyCampaignIdOf(stack, later.campaign.id);
    const state = await waitFor(
      () => instantlyState(stack),
      (current) => current.blockList.includes(leaving!.email),
      'the address on the Instantly block list',
    );
    const laterLeads = state.leads.filter((lead) => lead.campaign === laterInstantlyId).map((lead) => lead.email);
    expect(laterLeads).toEqual([staying!.email]);
    expect(state.leads.filter((lead) => lead.email === leaving!.email)).toHaveLength(1);
  });

  test('bounce marks the address', async () => {
    const { created, instantlyId } = await launchedWith(1);
    const email = created.recipients[0]!.email;

    const statuses = await sendThroughInstantly({
      event_type: 'email_bounced',
      campaign_id: instantlyId,
      lead_email: email,
    });

    expect(statuses).toEqual([200]);
    const suppression = await stack.database.prisma.emailSuppression.findUnique({
      where: { organizationId_email: { organizationId: DEMO_ORGANIZATION_ID, email } },
    });
    expect(suppression?.reason).toBe('bounced');
    expect(await recipientStatus(created.campaign.id, email)).toBe('bounced');
    const read = await stack.request('GET', `/api/campaigns/${created.campaign.id}`, { principal: rep });
    expect((read.body as { recipients: Array<{ status: string }> }).recipients[0]?.status).toBe('bounced');
  });

  test('ignored event type gets 200', async () => {
    const { instantlyId } = await launchedWith(1);

    const response = await postDirectly(
      { event_type: 'email_opened', campaign_id: instantlyId, lead_email: 'x@y.example' },
      { [instantlySecretHeader]: secret },
    );

    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe('ignored');
  });
});
