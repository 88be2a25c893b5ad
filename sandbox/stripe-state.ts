import { createHmac, randomBytes } from 'node:crypto';
import { defaultPlanPrices } from '../lib/billing/plans';
import type { SandboxContext } from './context';
import { deliverWebhook } from './webhook-delivery';

// Objects the Stripe stand-in keeps, in the shapes of Stripe's API (version 2026-11-18): customers,
// Checkout Sessions, subscriptions with one item each, invoices, and the events sent for them. Events are
// signed as Stripe signs them: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`,
// keyed with the whole `whsec_` secret.

export type StripeObject = Record<string, unknown> & { id: string };

export interface StripePrice {
  id: string;
  unitAmount: number;
}

/** The prices the stand-in sells: the product's default plan prices, in US cents per month. */
export const sandboxPrices: ReadonlyMap<string, StripePrice> = new Map([
  [defaultPlanPrices.pro, { id: defaultPlanPrices.pro, unitAmount: 4_900 }],
  [defaultPlanPrices.enterprise, { id: defaultPlanPrices.enterprise, unitAmount: 49_900 }],
]);

export const sandboxApiVersion = '2026-11-18.endive';

const monthSeconds = 30 * 24 * 60 * 60;

export interface StripeSandboxOptions {
  webhookUrl?: string;
  webhookSecret?: string;
}

export interface EmitOptions {
  /** Milliseconds before the batch is sent. */
  delayMs?: number;
}

export class StripeSandboxState {
  readonly customers = new Map<string, StripeObject>();
  readonly sessions = new Map<string, StripeObject>();
  readonly subscriptions = new Map<string, StripeObject>();
  readonly invoices = new Map<string, StripeObject>();
  readonly events = new Map<string, StripeObject>();
  /** Responses of earlier POSTs by Idempotency-Key, replayed for a repeated key as Stripe does. */
  readonly idempotentResponses = new Map<string, { status: number; body: unknown }>();

  constructor(
    readonly context: SandboxContext,
    readonly options: StripeSandboxOptions,
  ) {}

  newId(prefix: string): string {
    return `${prefix}_${randomBytes(12).toString('hex')}`;
  }

  createSubscription(customerId: string, price: StripePrice, metadata: Record<string, string>): StripeObject {
    const now = nowSeconds();
    const subscription: StripeObject = {
      id: this.newId('sub'),
      object: 'subscription',
      customer: customerId,
      status: 'active',
      created: now,
      cancel_at_period_end: false,
      canceled_at: null,
      metadata,
      latest_invoice: null,
      items: { object: 'list', data: [this.subscriptionItem(price, now)], has_more: false },
      livemode: false,
    };
    this.subscriptions.set(subscription.id, subscription);

    return subscription;
  }

  subscriptionItem(price: StripePrice, periodStart: number): StripeObject {
    return {
      id: this.newId('si'),
      object: 'subscription_item',
      price: {
        id: price.id,
        object: 'price',
        unit_amount: price.unitAmount,
        currency: 'usd',
        recurring: { interval: 'month' },
      },
      quantity: 1,
      current_period_start: periodStart,
      current_period_end: periodStart + monthSeconds,
    };
  }

  createInvoice(subscription: StripeObject, status: 'paid' | 'open'): StripeObject {
    const item = (subscription.items as { data: Array<{ price: { unit_amount: number } }> }).data[0];
    const amount = item?.price.unit_amount ?? 0;
    const invoice: StripeObject = {
      id: this.newId('in'),
      object: 'invoice',
      customer: subscription.customer,
      status,
      currency: 'usd',
      amount_due: amount,
      amount_paid: status === 'paid' ? amount : 0,
      attempt_count: 1,
      created: nowSeconds(),
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { subscription: subscription.id, metadata: subscription.metadata },
      },
      livemode: false,
    };
    this.invoices.set(invoice.id, invoice);
    subscription.latest_invoice = invoice.id;

    return invoice;
  }

  /** Builds one event per [type, object] with a snapshot of the object now, then sends them in order. */
  emit(batch: Array<[string, StripeObject]>, options: EmitOptions = {}): StripeObject[] {
    const events = batch.map(([type, object]) => this.event(type, object));
    let sendOrder = events;
    if (this.context.faults.take('stripe', 'reorder_webhooks') !== undefined) {
      sendOrder = [...events].reverse();
    }
    if (this.context.faults.take('stripe', 'duplicate_webhooks') !== undefined) {
      sendOrder = sendOrder.flatMap((event) => [event, event]);
    }
    this.context.scheduler.after(
      options.delayMs ?? 0,
      () => this.send(sendOrder),
      (error) => this.context.log.error({ err: error }, 'Stripe webhook delivery failed'),
    );

    return events;
  }

  /** Sends stored events again, in the given order, as Stripe's dashboard "resend" does. */
  resend(eventIds: readonly string[], options: EmitOptions = {}): StripeObject[] {
    const events = eventIds.map((id) => this.events.get(id)).filter((event) => event !== undefined);
    this.context.scheduler.after(
      options.delayMs ?? 0,
      () => this.send(events),
      (error) => this.context.log.error({ err: error }, 'Stripe webhook delivery failed'),
    );

    return events;
  }

  private event(type: string, object: StripeObject): StripeObject {
    const event: StripeObject = {
      id: this.newId('evt'),
      object: 'event',
      api_version: sandboxApiVersion,
      created: nowSeconds(),
      type,
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    };
    this.events.set(event.id, event);

    return event;
  }

  private async send(events: readonly StripeObject[]): Promise<void> {
    const { webhookUrl, webhookSecret } = this.options;
    if (webhookUrl === undefined || webhookSecret === undefined) {
      return;
    }
    for (const event of events) {
      const body = JSON.stringify(event);
      await deliverWebhook(
        {
          url: webhookUrl,
          body,
          headersForAttempt: () => ({ 'stripe-signature': stripeSignatureHeader(webhookSecret, body) }),
          logFields: { provider: 'stripe', eventId: event.id, eventType: String(event.type) },
        },
        { scheduler: this.context.scheduler, retryDelaysMs: this.context.webhookRetryDelaysMs, log: this.context.log },
      );
    }
  }
}

/** Signs a body as Stripe does; `timestampSeconds` defaults to now. */
export function stripeSignatureHeader(secret: string, body: string, timestampSeconds = nowSeconds()): string {
  const signature = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');

  return `t=${timestampSeconds},v1=${signature}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
