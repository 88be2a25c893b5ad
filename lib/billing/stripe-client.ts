import Stripe from 'stripe';
import type { TConfig } from '../config';
import { defaultPlanPrices, type PlanPrices } from './plans';

// The Stripe SDK client: the real API when STRIPE_SECRET_KEY is set, otherwise the sandbox stand-in. The
// SDK has host, port and protocol options but no base path, so the sandbox serves Stripe's /v1 routes at
// its root.

const sandboxKey = 'sk_test_sandbox';
const clients = new Map<string, Stripe>();

/** Returns one client per target, because the API builds it lazily once the sandbox's port is known. */
export function stripeClientFor(config: TConfig): Stripe {
  const key = config.STRIPE_SECRET_KEY === undefined ? `sandbox ${config.sandboxUrl}` : 'live';
  let client = clients.get(key);
  if (client === undefined) {
    client = createStripeClient(config);
    clients.set(key, client);
  }

  return client;
}

export function createStripeClient(config: TConfig): Stripe {
  // Temporal and Stripe's own webhook retries recover from outages; SDK retries would hide them.
  const common = { maxNetworkRetries: 0, timeout: 30_000, telemetry: false };
  if (config.STRIPE_SECRET_KEY !== undefined) {
    return new Stripe(config.STRIPE_SECRET_KEY, common);
  }
  const sandbox = new URL(config.sandboxUrl);

  return new Stripe(sandboxKey, {
    ...common,
    host: sandbox.hostname,
    port: sandbox.port,
    protocol: sandbox.protocol === 'https:' ? 'https' : 'http',
  });
}

export function planPricesFrom(config: TConfig): PlanPrices {
  return {
    pro: config.STRIPE_PRICE_PRO ?? defaultPlanPrices.pro,
    enterprise: config.STRIPE_PRICE_ENTERPRISE ?? defaultPlanPrices.enterprise,
  };
}
