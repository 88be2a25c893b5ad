import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { BillingActivities, PaymentStanding } from '../../activities/types';
import {
  billingGrace,
  billingGraceStateQuery,
  billingGraceWorkflowId,
  paymentFailedSignal,
  paymentReceivedSignal,
  subscriptionEndedSignal,
} from '../../workflows/billing-grace';
import { useTimeSkippingServerPerTest, waitUntil } from '../support/temporal';

// The billing grace period on the time-skipping test server, so its seven days pass in moments. A small
// in-memory billing account replaces the database and Stripe; tests assert on that account.

Runtime.install({ logger: new DefaultLogger('WARN') });

const dayMs = 24 * 60 * 60 * 1000;

const server = useTimeSkippingServerPerTest();

/** The rows a company admin would see on the billing page. */
class FakeBillingAccount {
  status: 'past_due' | 'restricted' | 'active' | 'canceled' = 'past_due';
  recordedMinutesPerMonth = 3_000;
  graceEndsAtMs: number | null = null;
  auditActions: string[] = [];
  /** What Stripe returns when the workflow asks at the end of the grace period. */
  stripeStanding: PaymentStanding = 'unpaid';

  activities(): BillingActivities {
    return {
      beginGracePeriod: async ({ graceEndsAtMs }) => {
        this.graceEndsAtMs = graceEndsAtMs;
        this.auditActions.push('billing.grace_period_started');
      },
      readPaymentStanding: async () => this.stripeStanding,
      restrictPlan: async () => {
        this.status = 'restricted';
        this.recordedMinutesPerMonth = 60;
        this.auditActions.push('billing.plan_restricted');
      },
      endGracePeriod: async ({ outcome }) => {
        const wasRestricted = this.status === 'restricted';
        this.status = outcome === 'paid' ? 'active' : 'canceled';
        this.recordedMinutesPerMonth = outcome === 'paid' ? 3_000 : 60;
        this.graceEndsAtMs = null;
        this.auditActions.push(wasRestricted ? 'billing.restriction_lifted' : 'billing.grace_period_ended');
      },
    };
  }
}

async function startGrace(
  taskQueue: string,
  graceDays = 7,
): Promise<{ handle: WorkflowHandle<typeof billingGrace>; organizationId: string }> {
  const organizationId = `org-${randomUUID()}`;
  const handle = await server.env().client.workflow.signalWithStart(billingGrace, {
    taskQueue,
    workflowId: billingGraceWorkflowId(organizationId),
    args: [{ organizationId, graceDays }],
    signal: paymentFailedSignal,
    signalArgs: [{ invoiceId: 'in_failed_1' }],
  });

  return { handle, organizationId };
}

async function workerFor(account: FakeBillingAccount): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = `billing-grace-${randomUUID()}`;
  const worker = await Worker.create({
    connection: server.env().nativeConnection,
    taskQueue,
    workflowBundle: server.workflowBundle(),
    activities: account.activities(),
  });

  return { worker, taskQueue };
}

describe('billing grace period', () => {
  it('restricts the plan after seven days', async () => {
    const account = new FakeBillingAccount();
    const { worker, taskQueue } = await workerFor(account);

    await worker.runUntil(async () => {
      const startMs = await server.env().currentTimeMs();
      const { handle } = await startGrace(taskQueue);
      await waitUntil(() => account.graceEndsAtMs !== null);
      expect(account.graceEndsAtMs! - startMs).toBeGreaterThanOrEqual(7 * dayMs);
      expect(account.graceEndsAtMs! - startMs).toBeLessThan(7 * dayMs + 60_000);

      await server.env().sleep(6 * dayMs);
      expect(account.status).toBe('past_due');

      await server.env().sleep(1 * dayMs + 60_000);
      await waitUntil(() => account.status === 'restricted');
      expect(account.recordedMinutesPerMonth).toBe(60);
      expect((await handle.query(billingGraceStateQuery)).phase).toBe('restricted');
      expect(account.auditActions).toContain('billing.plan_restricted');
    });
  });

  it('payment within grace cancels restriction', async () => {
    const account = new FakeBillingAccount();
    const { worker, taskQueue } = await workerFor(account);

    await worker.runUntil(async () => {
      const { handle } = await startGrace(taskQueue);
      await waitUntil(() => account.graceEndsAtMs !== null);
      await server.env().sleep(3 * dayMs);
      await handle.signal(paymentReceivedSignal, { invoiceId: 'in_failed_1' });

      const final = await handle.result();
      expect(final.phase).toBe('paid');
      expect(account.status).toBe('active');
      expect(account.recordedMinutesPerMonth).toBe(3_000);
      expect(account.auditActions).not.toContain('billing.plan_restricted');
    });
  });

  it('later payment lifts the restriction', async () => {
    const account = new FakeBillingAccount();
    const { worker, taskQueue } = await workerFor(account);

    await worker.runUntil(async () => {
      const { handle } = await startGrace(taskQueue, 2);
      await server.env().sleep(2 * dayMs + 60_000);
      await waitUntil(() => account.status === 'restricted');

      await handle.signal(paymentReceivedSignal, { invoiceId: 'in_failed_1' });
      const final = await handle.result();
      expect(final.phase).toBe('paid');
      expect(account.status).toBe('active');
      expect(account.auditActions).toEqual([
        'billing.grace_period_started',
        'billing.plan_restricted',
        'billing.restriction_lifted',
      ]);
    });
  });

  it('payment for another invoice keeps grace', async () => {
    const account = new FakeBillingAccount();
    const { worker, taskQueue } = await workerFor(account);

    await worker.runUntil(async () => {
      const { handle } = await startGrace(taskQueue);
      await handle.signal(paymentReceivedSignal, { invoiceId: 'in_unrelated' });
      await server.env().sleep(7 * dayMs + 60_000);
      await waitUntil(() => account.status === 'restricted');
      expect((await handle.query(billingGraceStateQuery)).phase).toBe('restricted');
    });
  });

  it('Stripe paid at deadline skips restriction', async () => {
    const account = new FakeBillingAccount();
    account.stripeStanding = 'paid';
    const { worker, taskQueue } = await workerFor(account);

    await worker.runUntil(async () => {
      const { handle } = await startGrace(taskQueue);
      await server.env().sleep(7 * dayMs + 60_000);

      const final = await handle.result();
      expect(final.phase).toBe('paid');
      expect(account.status).toBe('active');
      expect(account.auditActions).not.toContain('billing.plan_restricted');
    });
  });

  it('cancelled subscription ends the grace period', async () => {
    const account = new FakeBillingAccount();
    const { worker, taskQueue } = await workerFor(account);

    await worker.runUntil(async () => {
      const { handle } = await startGrace(taskQueue);
      await handle.signal(subscriptionEndedSignal);

      const final = await handle.result();
      expect(final.phase).toBe('subscription_ended');
      expect(account.status).toBe('canceled');
      expect(account.recordedMinutesPerMonth).toBe(60);
    });
  });
});
