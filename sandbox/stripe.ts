import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SandboxContext } from './context';
import { providerGate, type ProviderErrors } from './provider-gate';
import {
  nowSeconds,
  sandboxPrices,
  type StripeObject,
  StripeSandboxState,
  type StripeSandboxOptions,
} from './stripe-state';

// Stripe API stand-in, mounted at /v1 because the Stripe SDK has no base-path option. Requests are
// form-encoded as the SDK sends them; errors use Stripe's `{ error: { type, code, message, param } }` shape.
// Control routes under /_sandbox/stripe play what a customer does on Stripe's pages: pay a Checkout
// Session, fail or make a renewal payment, change or cancel a subscription.

const stripeErrors: ProviderErrors = {
  unauthenticated: (res) =>
    void res.status(401).json({
      error: { type: 'invalid_request_error', message: 'You did not provide an API key.' },
    }),
  invalidJson: (res) =>
    void res.status(400).json({ error: { type: 'invalid_request_error', message: 'Invalid request body.' } }),
  rateLimited: (res) =>
    void res.status(429).json({
      error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests made to the API.' },
    }),
  serverError: (res) =>
    void res.status(500).json({ error: { type: 'api_error', message: 'An unknown error occurred.' } }),
};

function missing(res: Response, kind: string, id: string | undefined): void {
  res.status(404).json({
    error: {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'id',
      message: `No such ${kind}: '${id ?? ''}'`,
    },
  });
}

function invalid(res: Response, param: string, message: string): void {
  res.status(400).json({ error: { type: 'invalid_request_error', code: 'parameter_missing', param, message } });
}

export function createStripeSandbox(context: SandboxContext, options: StripeSandboxOptions) {
  const state = new StripeSandboxState(context, options);

  return { state, api: stripeApiRouter(state), control: stripeControlRouter(state) };
}

function stripeApiRouter(state: StripeSandboxState): Router {
  const router = Router();
  router.use(
    providerGate(state.context, {
      provider: 'stripe',
      errors: stripeErrors,
      isAuthenticated: (req) => /^Bearer\s+sk_\S+/.test(req.get('authorization') ?? ''),
    }),
  );
  router.use(express.urlencoded({ extended: true, limit: '1mb' }));
  router.use(replayIdempotentPosts(state));

  router.post('/customers', (req, res) => {
    const body = req.body as { email?: string; name?: string; metadata?: Record<string, string> };
    const customer: StripeObject = {
      id: state.newId('cus'),
      object: 'customer',
      email: body.email ?? null,
      name: body.name ?? null,
      metadata: body.metadata ?? {},
      created: nowSeconds(),
      livemode: false,
    };
    state.customers.set(customer.id, customer);
    res.json(customer);
  });

  router.get('/customers/:id', (req, res) => {
    const customer = state.customers.get(req.params.id);
    if (customer === undefined) return missing(res, 'customer', req.params.id);
    res.json(customer);
  });

  router.post('/checkout/sessions', (req, res) => {
    const body = req.body as {
      customer?: string;
      mode?: string;
      line_items?: Array<{ price?: string; quantity?: string }>;
      success_url?: string;
      cancel_url?: string;
      client_reference_id?: string;
      metadata?: Record<string, string>;
      subscription_data?: { metadata?: Record<string, string> };
    };
    if (body.mode !== 'subscription') return invalid(res, 'mode', 'This sandbox supports mode=subscription only.');
    if (body.customer === undefined || !state.customers.has(body.customer)) {
      return missing(res, 'customer', body.customer);
    }
    const priceId = body.line_items?.[0]?.price;
    if (priceId === undefined || !sandboxPrices.has(priceId)) return missing(res, 'price', priceId);
    const id = state.newId('cs_test');
    const session: StripeObject = {
      id,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      customer: body.customer,
      subscription: null,
      client_reference_id: body.client_reference_id ?? null,
      metadata: body.metadata ?? {},
      success_url: body.success_url ?? null,
      cancel_url: body.cancel_url ?? null,
      url: `${state.context.baseUrl()}/_sandbox/stripe/checkout/${id}`,
      created: nowSeconds(),
      livemode: false,
      // Kept for completing the session; Stripe returns line items from their own endpoint.
      sandbox_price: priceId,
      sandbox_subscription_metadata: body.subscription_data?.metadata ?? {},
    };
    state.sessions.set(id, session);
    res.json(publicSession(session));
  });

  router.get('/checkout/sessions/:id', (req, res) => {
    const session = state.sessions.get(req.params.id);
    if (session === undefined) return missing(res, 'checkout.session', req.params.id);
    res.json(publicSession(session));
  });

  router.get('/subscriptions/:id', (req, res) => {
    const subscription = state.subscriptions.get(req.params.id);
    if (subscription === undefined) return missing(res, 'subscription', req.params.id);
    res.json(subscription);
  });

  router.get('/invoices/:id', (req, res) => {
    const invoice = state.invoices.get(req.params.id);
    if (invoice === undefined) return missing(res, 'invoice', req.params.id);
    res.json(invoice);
  });

  router.post('/billing_portal/sessions', (req, res) => {
    const body = req.body as { customer?: string; return_url?: string };
    if (body.customer === undefined || !state.customers.has(body.customer)) {
      return missing(res, 'customer', body.customer);
    }
    const id = state.newId('bps');
    res.json({
      id,
      object: 'billing_portal.session',
      customer: body.customer,
      return_url: body.return_url ?? null,
      url: `${state.context.baseUrl()}/_sandbox/stripe/portal/${id}`,
      created: nowSeconds(),
      livemode: false,
    });
  });

  return router;
}

function publicSession(session: StripeObject): StripeObject {
  const visible = { ...session };
  delete visible.sandbox_price;
  delete visible.sandbox_subscription_metadata;

  return visible;
}

/** Returns the stored response for a repeated Idempotency-Key and stores new POST responses. */
function replayIdempotentPosts(state: StripeSandboxState) {
  return (req: Request, res: Response, next: () => void) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next();
    const earlier = state.idempotentResponses.get(`${req.path} ${key}`);
    if (earlier !== undefined) {
      res.set('idempotent-replayed', 'true').status(earlier.status).json(earlier.body);
      return;
    }
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 500) state.idempotentResponses.set(`${req.path} ${key}`, { status: res.statusCode, body });
      return send(body);
    };
    next();
  };
}

const ZEmitSchema = z.object({ delayMs: z.number().int().min(0).max(600_000).optional() }).strict();
const ZPlanChangeSchema = z.object({ price: z.string().min(1), delayMs: z.number().int().min(0).optional() }).strict();
const ZResendSchema = z
  .object({ eventIds: z.array(z.string().min(1)).min(1), delayMs: z.number().int().min(0).optional() })
  .strict();

function stripeControlRouter(state: StripeSandboxState): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  /** The customer pays: the session completes, a subscription starts and its first invoice is paid. */
  router.post('/checkout/:id/complete', (req, res) => {
    const session = state.sessions.get(req.params.id);
    const options = ZEmitSchema.safeParse(req.body ?? {});
    if (session === undefined || !options.success) return void res.status(404).json({ error: 'No open session' });
    if (session.status !== 'open') return void res.status(409).json({ error: `Session is ${String(session.status)}` });
    const price = sandboxPrices.get(String(session.sandbox_price))!;
    const subscription = state.createSubscription(
      String(session.customer),
      price,
      session.sandbox_subscription_metadata as Record<string, string>,
    );
    const invoice = state.createInvoice(subscription, 'paid');
    Object.assign(session, { status: 'complete', payment_status: 'paid', subscription: subscription.id });
    const events = state.emit(
      [
        ['checkout.session.completed', publicSession(session)],
        ['customer.subscription.created', subscription],
        ['invoice.paid', invoice],
      ],
      options.data,
    );
    res.status(201).json({ subscription, invoice, events: events.map((event) => event.id) });
  });

  router.post('/subscriptions/:id/payment-failure', (req, res) => {
    withSubscription(state, req, res, (subscription, options) => {
      const invoice = state.createInvoice(subscription, 'open');
      subscription.status = 'past_due';
      const events = state.emit(
        [
          ['invoice.payment_failed', invoice],
          ['customer.subscription.updated', subscription],
        ],
        options,
      );
      res.status(201).json({ subscription, invoice, events: events.map((event) => event.id) });
    });
  });

  router.post('/subscriptions/:id/payment-success', (req, res) => {
    withSubscription(state, req, res, (subscription, options) => {
      const openInvoice = state.invoices.get(String(subscription.latest_invoice));
      const invoice =
        openInvoice !== undefined && openInvoice.status === 'open'
          ? openInvoice
          : state.createInvoice(subscription, 'open');
      Object.assign(invoice, { status: 'paid', amount_paid: invoice.amount_due });
      subscription.status = 'active';
      const events = state.emit(
        [
          ['invoice.paid', invoice],
          ['customer.subscription.updated', subscription],
        ],
        options,
      );
      res.status(201).json({ subscription, invoice, events: events.map((event) => event.id) });
    });
  });

  router.post('/subscriptions/:id/plan', (req, res) => {
    const parsed = ZPlanChangeSchema.safeParse(req.body);
    const price = parsed.success ? sandboxPrices.get(parsed.data.price) : undefined;
    if (!parsed.success || price === undefined) return void res.status(400).json({ error: 'Unknown price' });
    withSubscription(state, req, res, (subscription) => {
      subscription.items = { object: 'list', data: [state.subscriptionItem(price, nowSeconds())], has_more: false };
      const events = state.emit([['customer.subscription.updated', subscription]], { delayMs: parsed.data.delayMs });
      res.status(201).json({ subscription, events: events.map((event) => event.id) });
    });
  });

  router.post('/subscriptions/:id/cancel', (req, res) => {
    withSubscription(state, req, res, (subscription, options) => {
      Object.assign(subscription, { status: 'canceled', canceled_at: nowSeconds() });
      const events = state.emit([['customer.subscription.deleted', subscription]], options);
      res.status(201).json({ subscription, events: events.map((event) => event.id) });
    });
  });

  router.post('/events/resend', (req, res) => {
    const parsed = ZResendSchema.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: 'Expected { eventIds: [...] }' });
    const events = state.resend(parsed.data.eventIds, { delayMs: parsed.data.delayMs });
    res.status(202).json({ events: events.map((event) => event.id) });
  });

  router.get('/events', (_req, res) => {
    res.json({ data: [...state.events.values()] });
  });

  return router;
}

function withSubscription(
  state: StripeSandboxState,
  req: Request,
  res: Response,
  change: (subscription: StripeObject, options: { delayMs?: number }) => void,
): void {
  const subscription = state.subscriptions.get(String(req.params.id));
  if (subscription === undefined) {
    res.status(404).json({ error: 'No such subscription' });
    return;
  }
  const options = ZEmitSchema.safeParse(req.body ?? {});
  change(subscription, options.success ? options.data : {});
}
