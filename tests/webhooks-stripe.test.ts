import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStripeWebhookSecret } from '../lib/billing/webhook-secret';
import { loadHistoryFiles, saveHistory } from '../lib/histories';
import { stripeSignatureHeader } from '../sandbox/stripe-state';
import { type billingGrace, billingGraceStateQuery, billingGraceWorkflowId } from '../workflows/billing-grace';
import { startTestStack, type TestStack, testWorkflowBundle } from './support/stack';
import { waitFor } from './support/wait';

// Stripe webhooks against the real app, database and Temporal dev server, with the sandbox standing in
// for Stripe. A company buys the pro plan through Checkout first; each test then sends events the way
// Stripe would, or the way a forger, a slow network or a retrying sender would.

interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

interface WebhookReply {
  received?: boolean;
  outcome?: 'applied' | 'duplicate';
  ignored?: string;
  error?: { code: string; message: string };
}

let stack: TestStack;
let secret: string;
const organizationId = `org_${randomUUID()}`;
const admin = { userId: `user_${randomUUID()}`, organizationId, role: 'admin' as const };
let subscriptionId: string;
let customerId: string;

beforeAll(async () => {
  stack = await startTestStack();
  secret = await resolveStripeWebhookSecret(stack.config);
  ({ subscriptionId, customerId } = await buyProPlan());
});

afterAll(async () => {
  await stack?.stop();
});

async function sandbox(path: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/stripe${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);

  return (await response.json()) as Record<string, unknown>;
}

async function sandboxEvents(): Promise<StripeEvent[]> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/stripe/events`);

  return ((await response.json()) as { data: StripeEvent[] }).data;
}

async function eventById(id: string): Promise<StripeEvent> {
  const event = (await sandboxEvents()).find((candidate) => candidate.id === id);
  expect(event).toBeDefined();

  return event!;
}

async function deliver(
  body: string,
  options: { signature?: string | null; timestampSeconds?: number } = {},
): Promise<{ status: number; body: WebhookReply }> {
  const signature =
    options.signature === undefined ? stripeSignatureHeader(secret, body, options.timestampSeconds) : options.signature;
  const response = await fetch(`${stack.apiUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    body,
  });

  return { status: response.status, body: (await response.json()) as WebhookReply };
}

/**
 * Saves the workflow's history as the replay command reads it and replays it against today's code.
 * RECORD_HISTORIES_DIR (e.g. tests/histories) keeps the file for the committed replay set.
 */
async function expectHistoryReplays(workflowId: string): Promise<void> {
  const keep = process.env.RECORD_HISTORIES_DIR;
  const directory = keep ?? (await mkdtemp(path.join(os.tmpdir(), 'billing-history-')));
  await saveHistory(stack.temporal, workflowId, directory, stack.payloadCodec);
  const [saved] = (await loadHistoryFiles(directory)).filter((item) => item.workflowId === workflowId);
  if (keep === undefined) {
    await rm(directory, { recursive: true, force: true });
  }
  expect(saved).toBeDefined();

  await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, saved!.history, workflowId);
}

function account() {
  return stack.database.prisma.billingAccount.findUniqueOrThrow({ where: { organizationId } });
}

function eventRows(eventId: string) {
  return stack.database.prisma.webhookEvent.count({ where: { provider: 'stripe', eventId } });
}

/** Buys the pro plan: the admin starts a checkout, the sandbox customer pays, and webhooks apply the plan. */
async function buyProPlan(): Promise<{ subscriptionId: string; customerId: string }> {
  const checkout = await stack.request('POST', '/api/billing/checkout', { principal: admin, body: { plan: 'pro' } });
  expect(checkout.status).toBe(201);
  const { sessionId } = checkout.body as { sessionId: string };
  const paid = await sandbox(`/checkout/${sessionId}/complete`);
  const subscription = paid.subscription as { id: string; customer: string };
  await waitFor(account, (row) => row.plan === 'pro' && row.status === 'active', 'the pro plan to be applied');

  return { subscriptionId: subscription.id, customerId: subscription.customer };
}

describe('Stripe webhooks', () => {
  it('checkout grants the paid plan', async () => {
    const row = await account();
    expect(row.stripeCustomerId).toBe(customerId);
    expect(row.stripeSubscriptionId).toBe(subscriptionId);
    expect(row.recordedMinutesPerMonth).toBe(3_000);
    const billing = await stack.request('GET', '/api/billing', { principal: admin });
    expect(billing.body).toMatchObject({
      plan: 'pro',
      status: 'active',
      entitlements: { recordedMinutesPerMonth: 3000 },
    });
  });

  it('forged signature is rejected', async () => {
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'invoice.paid', created: 1, data: { object: {} } });
    const forged = stripeSignatureHeader('whsec_not_the_endpoint_secret', body);

    const reply = await deliver(body, { signature: forged });

    expect(reply.status).toBe(401);
    expect(reply.body.error?.code).toBe('invalid_signature');
    expect(await eventRows((JSON.parse(body) as { id: string }).id)).toBe(0);
  });

  it('tampered body is rejected', async () => {
    const event = await eventById((await sandboxEvents())[0]!.id);
    const signed = JSON.stringify(event);
    const reply = await deliver(signed.replace('"livemode":false', '"livemode":true '), {
      signature: stripeSignatureHeader(secret, signed),
    });

    expect(reply.status).toBe(401);
    expect(reply.body.error?.code).toBe('invalid_signature');
  });

  it('unsigned delivery is rejected', async () => {
    const reply = await deliver(JSON.stringify({ id: 'evt_unsigned', type: 'invoice.paid' }), { signature: null });

    expect(reply.status).toBe(401);
    expect(reply.body.error?.code).toBe('invalid_signature');
  });

  it('stale timestamp is rejected', async () => {
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'invoice.paid', created: 1, data: { object: {} } });

    const reply = await deliver(body, { timestampSeconds: Math.floor(Date.now() / 1000) - 10 * 60 });

    expect(reply.status).toBe(401);
    expect(reply.body.error?.code).toBe('stale_webhook');
  });

  it('unknown customer gets 404', async () => {
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type: 'invoice.payment_failed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'in_unknown', object: 'invoice', customer: 'cus_nobody' } },
    });

    const reply = await deliver(body);

    expect(reply.status).toBe(404);
    expect(reply.body.error?.code).toBe('unknown_webhook_subject');
    expect(await eventRows((JSON.parse(body) as { id: string }).id)).toBe(0);
  });

  it('ignored event type gets 200', async () => {
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: customerId, object: 'customer' } },
    });

    const reply = await deliver(body);

    expect(reply.status).toBe(200);
    expect(reply.body.ignored).toBe('event type not handled');
  });

  it('duplicate event is applied once', async () => {
    const checkoutEvent = (await sandboxEvents()).find((event) => event.type === 'checkout.session.completed')!;

    const reply = await deliver(JSON.stringify(checkoutEvent));

    expect(reply.status).toBe(200);
    expect(reply.body.outcome).toBe('duplicate');
    expect(await eventRows(checkoutEvent.id)).toBe(1);
  });

  it('older update after newer keeps Stripe state', async () => {
    // Both changes are held in the sandbox, so this test delivers them itself, newest first.
    const held = { delayMs: 600_000 };
    const toEnterprise = await sandbox(`/subscriptions/${subscriptionId}/plan`, {
      price: 'price_sales_blitz_enterprise_monthly',
      ...held,
    });
    const backToPro = await sandbox(`/subscriptions/${subscriptionId}/plan`, {
      price: 'price_sales_blitz_pro_monthly',
      ...held,
    });
    const older = await eventById((toEnterprise.events as string[])[0]!);
    const newer = await eventById((backToPro.events as string[])[0]!);

    expect((await deliver(JSON.stringify(newer))).body.outcome).toBe('applied');
    expect((await deliver(JSON.stringify(older))).body.outcome).toBe('applied');

    const row = await account();
    expect(row.plan).toBe('pro');
    expect(row.recordedMinutesPerMonth).toBe(3_000);
  });

  it('failed payment starts grace, payment ends it', async () => {
    await sandbox(`/subscriptions/${subscriptionId}/payment-failure`);
    const grace = stack.temporal.workflow.getHandle<typeof billingGrace>(billingGraceWorkflowId(organizationId));
    const inGrace = await waitFor(account, (row) => row.graceEndsAt !== null, 'the grace period to start');
    expect(inGrace.status).toBe('past_due');
    expect(inGrace.graceEndsAt!.getTime() - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    expect((await grace.query(billingGraceStateQuery)).phase).toBe('grace');

    await sandbox(`/subscriptions/${subscriptionId}/payment-success`);

    const final = await grace.result();
    expect(final.phase).toBe('paid');
    const row = await account();
    expect(row.status).toBe('active');
    expect(row.graceEndsAt).toBeNull();
    await expectHistoryReplays(billingGraceWorkflowId(organizationId));
  });

  it('duplicated and reordered deliveries converge', async () => {
    for (const fault of ['duplicate_webhooks', 'reorder_webhooks']) {
      const injected = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'stripe', fault }),
      });
      expect(injected.status).toBe(201);
    }
    const failed = await sandbox(`/subscriptions/${subscriptionId}/payment-failure`);
    const eventIds = failed.events as string[];

    await waitFor(
      () => stack.database.prisma.webhookEvent.count({ where: { provider: 'stripe', eventId: { in: eventIds } } }),
      (count) => count === eventIds.length,
      'both events to be recorded',
    );
    const grace = stack.temporal.workflow.getHandle<typeof billingGrace>(billingGraceWorkflowId(organizationId));
    await waitFor(
      () => grace.query(billingGraceStateQuery),
      (state) => state.phase === 'grace' && state.failedInvoiceIds.length === 1,
      'one failed invoice in the grace period',
    );
    expect((await account()).status).toBe('past_due');

    await sandbox(`/subscriptions/${subscriptionId}/payment-success`);
    expect((await grace.result()).phase).toBe('paid');
  });

  it('cancellation returns the company to free', async () => {
    await sandbox(`/subscriptions/${subscriptionId}/cancel`);

    const row = await waitFor(account, (current) => current.status === 'canceled', 'the cancellation to apply');
    expect(row.plan).toBe('free');
    expect(row.recordedMinutesPerMonth).toBe(60);
  });
});
