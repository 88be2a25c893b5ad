import { condition, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BillingActivities } from '../activities/types';

// A company's grace period after a failed payment, while Stripe keeps retrying the invoice. If no payment
// arrives in time, the plan is restricted to the free allowance until a later payment lifts it. Stripe is
// read once more before restricting, because a payment webhook may be lost or arrive before the failure.

export interface BillingGraceInput {
  organizationId: string;
  /** Days between the first failed payment and the restriction; BILLING_GRACE_DAYS, 7 by default. */
  graceDays: number;
}

export interface BillingGraceState {
  organizationId: string;
  phase: 'grace' | 'restricted' | 'paid' | 'subscription_ended';
  graceEndsAtMs: number;
  failedInvoiceIds: string[];
}

export const paymentFailedSignal = defineSignal<[{ invoiceId: string }]>('paymentFailed');
export const paymentReceivedSignal = defineSignal<[{ invoiceId: string }]>('paymentReceived');
export const subscriptionEndedSignal = defineSignal('subscriptionEnded');
export const billingGraceStateQuery = defineQuery<BillingGraceState>('billingGraceState');

export function billingGraceWorkflowId(organizationId: string): string {
  return `billing-grace-${organizationId}`;
}

const dayMs = 24 * 60 * 60 * 1000;

const account = proxyActivities<BillingActivities>({ startToCloseTimeout: '30 seconds' });

// Stripe outages last minutes to hours; the restriction can wait for the result, so retries never stop.
const stripe = proxyActivities<BillingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Billing grace period: wait for a payment, restrict the plan when none arrives, lift it on the next payment. */
export async function billingGrace(input: BillingGraceInput): Promise<BillingGraceState> {
  const { organizationId } = input;
  const state: BillingGraceState = {
    organizationId,
    phase: 'grace',
    graceEndsAtMs: workflowInfo().startTime.getTime() + input.graceDays * dayMs,
    failedInvoiceIds: [],
  };
  const failed = new Set<string>();
  const paid = new Set<string>();
  let subscriptionEnded = false;
  // A paid signal may arrive before the failure it settles, so both sets are kept.
  const failedInvoicePaid = () => [...failed].some((invoiceId) => paid.has(invoiceId));
  const settled = () => failedInvoicePaid() || subscriptionEnded;

  setHandler(billingGraceStateQuery, () => state);
  setHandler(paymentFailedSignal, ({ invoiceId }) => {
    failed.add(invoiceId);
    state.failedInvoiceIds = [...failed];
  });
  setHandler(paymentReceivedSignal, ({ invoiceId }) => void paid.add(invoiceId));
  setHandler(subscriptionEndedSignal, () => void (subscriptionEnded = true));

  await account.beginGracePeriod({ organizationId, graceEndsAtMs: state.graceEndsAtMs });
  if (await condition(settled, input.graceDays * dayMs)) {
    return finish(state, subscriptionEnded ? 'subscription_ended' : 'paid');
  }

  const standing = await stripe.readPaymentStanding({ organizationId });
  if (standing !== 'unpaid') {
    return finish(state, standing);
  }
  await account.restrictPlan({ organizationId });
  state.phase = 'restricted';
  // NOTE: a restriction waits for a payment webhook with no deadline; Stripe retries each delivery for days.
  await condition(settled);

  return finish(state, subscriptionEnded ? 'subscription_ended' : 'paid');
}

async function finish(state: BillingGraceState, outcome: 'paid' | 'subscription_ended'): Promise<BillingGraceState> {
  await account.endGracePeriod({ organizationId: state.organizationId, outcome });
  state.phase = outcome;

  return state;
}
