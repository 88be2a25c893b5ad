// The plans a company can be on and what each grants. The minute allowances are product defaults, not
// Stripe facts: Stripe stores only the price ids, which map back to a plan here.

export type TPlanName = 'free' | 'pro' | 'enterprise';

export interface Plan {
  name: TPlanName;
  /** Recorded minutes allowed per calendar month (UTC). */
  recordedMinutesPerMonth: number;
}

export const plans: Record<TPlanName, Plan> = {
  free: { name: 'free', recordedMinutesPerMonth: 60 },
  pro: { name: 'pro', recordedMinutesPerMonth: 3_000 },
  enterprise: { name: 'enterprise', recordedMinutesPerMonth: 30_000 },
};

export type TPaidPlanName = Exclude<TPlanName, 'free'>;

/** Stripe price ids of the paid plans; the sandbox accepts the defaults, real accounts set their own. */
export interface PlanPrices {
  pro: string;
  enterprise: string;
}

export const defaultPlanPrices: PlanPrices = {
  pro: 'price_sales_blitz_pro_monthly',
  enterprise: 'price_sales_blitz_enterprise_monthly',
};

/** Returns the paid plan a Stripe price id stands for, or undefined for a price this product does not sell. */
export function planForPrice(prices: PlanPrices, priceId: string): TPaidPlanName | undefined {
  if (priceId === prices.pro) {
    return 'pro';
  }
  if (priceId === prices.enterprise) {
    return 'enterprise';
  }

  return undefined;
}

/** Starts of the UTC calendar month containing `now` and of the next one. */
export function billingMonth(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

  return { start, end };
}
