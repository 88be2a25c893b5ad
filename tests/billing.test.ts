import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeTranscript } from '../activities/transcript-store';
import { startTestStack, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

// Plans and entitlements through the real API and database: the monthly recorded-minute allowance is
// enforced when a meeting is created, storing a transcript meters its minutes once, and Checkout creates
// one Stripe customer per company.

let stack: TestStack;

beforeAll(async () => {
  // A grace period of about two seconds, so the restriction happens on the real stack within a test.
  stack = await startTestStack({ env: { BILLING_GRACE_DAYS: String(2 / 86_400) } });
});

afterAll(async () => {
  await stack?.stop();
});

function newCompany() {
  const organizationId = `org_${randomUUID()}`;

  return {
    organizationId,
    rep: { userId: `user_${randomUUID()}`, organizationId, role: 'rep' as const },
    admin: { userId: `user_${randomUUID()}`, organizationId, role: 'admin' as const },
  };
}

type Principal = ReturnType<typeof newCompany>['rep'];

async function sandboxControl(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/stripe${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(201);

  return (await response.json()) as Record<string, unknown>;
}

function scheduleMeeting(principal: Principal) {
  // A join time a day away keeps the bot from being sent while the test runs.
  return stack.request('POST', '/api/meetings', {
    principal,
    body: {
      meetingUrl: `https://zoom.us/j/${randomInt(1e9, 1e10)}`,
      joinAt: new Date(Date.now() + 24 * 3600 * 1000).toISOString(),
    },
  });
}

async function useMinutes(principal: Principal, minutes: number): Promise<string> {
  const created = await scheduleMeeting(principal);
  expect(created.status).toBe(201);
  const meetingId = (created.body as { meeting: { id: string } }).meeting.id;
  await storeTranscript(stack.database.prisma, meetingId, {
    format: 'recall',
    utterances: [
      { speaker: 'Rep', text: 'Thanks for joining.', startMs: 0, endMs: 4_000 },
      { speaker: 'Prospect', text: 'Glad to be here.', startMs: 5_000, endMs: minutes * 60_000 },
    ],
  });

  return meetingId;
}

describe('billing entitlements', () => {
  it('meeting under the allowance is created', async () => {
    const { rep } = newCompany();
    await useMinutes(rep, 59);

    const created = await scheduleMeeting(rep);

    expect(created.status).toBe(201);
  });

  it('meeting over the allowance is refused', async () => {
    const { rep, organizationId } = newCompany();
    await useMinutes(rep, 45);
    await useMinutes(rep, 20);

    const refused = await scheduleMeeting(rep);

    expect(refused.status).toBe(402);
    const error = (refused.body as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('plan_limit_exceeded');
    expect(error.message).toContain('65 of 60');
    expect(error.message).toContain('free plan');
    expect(await stack.database.prisma.meeting.count({ where: { organizationId } })).toBe(2);
  });

  it('paid plan raises the allowance', async () => {
    const { rep, organizationId } = newCompany();
    await useMinutes(rep, 90);
    await stack.database.prisma.billingAccount.create({
      data: { organizationId, plan: 'pro', status: 'active', recordedMinutesPerMonth: 3_000 },
    });

    expect((await scheduleMeeting(rep)).status).toBe(201);
  });

  it('usage from last month does not count', async () => {
    const { rep, organizationId } = newCompany();
    const meetingId = await useMinutes(rep, 70);
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1) - 3600 * 1000);
    await stack.database.prisma.usageRecord.updateMany({ where: { meetingId }, data: { recordedAt: lastMonth } });

    expect((await scheduleMeeting(rep)).status).toBe(201);
    const billing = await stack.request('GET', '/api/billing', { principal: rep });
    expect(billing.body).toMatchObject({ plan: 'free', usage: { recordedMinutes: 0 } });
    expect(await stack.database.prisma.usageRecord.count({ where: { organizationId } })).toBe(1);
  });

  it('stored transcript counts its minutes once', async () => {
    const { rep, organizationId } = newCompany();
    const meetingId = await useMinutes(rep, 12);
    const again = await stack.database.prisma.transcript.findUniqueOrThrow({ where: { meetingId } });
    await storeTranscript(stack.database.prisma, meetingId, {
      format: 'recall',
      utterances: again.utterances as Array<{ speaker: string; text: string; startMs: number; endMs: number }>,
    });

    const rows = await stack.database.prisma.usageRecord.findMany({ where: { organizationId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.quantity).toBe(12);
    expect(rows[0]!.metric).toBe('recorded_minutes');
    const billing = await stack.request('GET', '/api/billing', { principal: rep });
    expect(billing.body).toMatchObject({
      usage: { recordedMinutes: 12 },
      entitlements: { recordedMinutesPerMonth: 60 },
    });
  });
});

describe('billing checkout', () => {
  it('creates one Stripe customer per company', async () => {
    const { admin, organizationId } = newCompany();
    const first = await stack.request('POST', '/api/billing/checkout', { principal: admin, body: { plan: 'pro' } });
    const second = await stack.request('POST', '/api/billing/checkout', {
      principal: admin,
      body: { plan: 'enterprise' },
    });

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect((first.body as { url: string }).url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/_sandbox\/stripe\/checkout\/cs_test_/,
    );
    const account = await stack.database.prisma.billingAccount.findUniqueOrThrow({ where: { organizationId } });
    expect(account.stripeCustomerId).toMatch(/^cus_/);
    const customer = await fetch(`${stack.sandbox.url}/v1/customers/${account.stripeCustomerId}`, {
      headers: { authorization: 'Bearer sk_test_sandbox' },
    });
    expect(((await customer.json()) as { metadata: Record<string, string> }).metadata.organization_id).toBe(
      organizationId,
    );
    const journal = (await (await fetch(`${stack.sandbox.url}/_sandbox/requests?provider=stripe`)).json()) as Array<{
      method: string;
      path: string;
      idempotencyKey: string | null;
    }>;
    const customerCreates = journal.filter(
      (entry) =>
        entry.method === 'POST' && entry.path === '/v1/customers' && entry.idempotencyKey?.includes(organizationId),
    );
    expect(customerCreates).toHaveLength(1);
  });

  it('same idempotency key returns the same session', async () => {
    const { admin } = newCompany();
    const key = `checkout-${randomUUID()}`;
    const send = () =>
      fetch(`${stack.apiUrl}/api/billing/checkout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ plan: 'pro' }),
      }).then(async (response) => (await response.json()) as { sessionId: string });
    const token = await stack.tokenFor(admin);

    const [first, second] = [await send(), await send()];

    expect(second.sessionId).toBe(first.sessionId);
  });

  it('unpaid grace period restricts, payment lifts', async () => {
    const { admin, rep, organizationId } = newCompany();
    const checkout = await stack.request('POST', '/api/billing/checkout', { principal: admin, body: { plan: 'pro' } });
    const { sessionId } = checkout.body as { sessionId: string };
    const paid = await sandboxControl(`/checkout/${sessionId}/complete`);
    const subscriptionId = (paid.subscription as { id: string }).id;
    const account = () => stack.database.prisma.billingAccount.findUniqueOrThrow({ where: { organizationId } });
    await waitFor(account, (row) => row.plan === 'pro' && row.status === 'active', 'the pro plan');
    await useMinutes(rep, 61);

    await sandboxControl(`/subscriptions/${subscriptionId}/payment-failure`);
    const restricted = await waitFor(account, (row) => row.status === 'restricted', 'the restriction');
    expect(restricted.plan).toBe('pro');
    expect(restricted.recordedMinutesPerMonth).toBe(60);
    const refused = await scheduleMeeting(rep);
    expect(refused.status).toBe(402);
    expect((refused.body as { error: { message: string } }).error.message).toContain('restricted');

    await sandboxControl(`/subscriptions/${subscriptionId}/payment-success`);
    const lifted = await waitFor(account, (row) => row.status === 'active', 'the restriction to be lifted');
    expect(lifted.recordedMinutesPerMonth).toBe(3_000);
    expect(lifted.graceEndsAt).toBeNull();
    expect((await scheduleMeeting(rep)).status).toBe(201);
    const audit = await stack.database.prisma.auditEvent.findMany({
      where: { organizationId, subjectType: 'billing_account' },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((row) => row.action)).toEqual([
      'billing.grace_period_started',
      'billing.plan_restricted',
      'billing.restriction_lifted',
    ]);
  });

  it('rep cannot start a checkout', async () => {
    const { rep } = newCompany();
    const refused = await stack.request('POST', '/api/billing/checkout', { principal: rep, body: { plan: 'pro' } });

    expect(refused.status).toBe(403);
    expect((refused.body as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('unknown plan is invalid', async () => {
    const { admin } = newCompany();
    const refused = await stack.request('POST', '/api/billing/checkout', { principal: admin, body: { plan: 'gold' } });

    expect(refused.status).toBe(400);
    expect((refused.body as { error: { code: string } }).error.code).toBe('invalid_request');
  });
});
