import { z } from 'zod';

// Faults that tests switch on to see how the product copes with a misbehaving provider, and the journal
// of provider requests that tests read to prove, for example, that a retried activity created one bot.

export const sandboxProviders = [
  'recall',
  'anthropic',
  'assemblyai',
  'gemini',
  'resend',
  'docusign',
  'pandadoc',
  'gmail',
  'oauth',
  'instantly',
  'calcom',
  'stripe',
] as const;
export type TSandboxProvider = (typeof sandboxProviders)[number];

export const faultKinds = [
  'latency',
  'rate_limit',
  'server_error',
  'duplicate_webhooks',
  'reorder_webhooks',
  'truncated_output',
  // The provider carries out the request, then returns 500, as when its response is lost on the way back.
  'lost_response',
  // The model's proposal draft names an item outside the price book and states its own prices and totals.
  'tampered_output',
  // The OAuth token endpoint rejects refresh grants with invalid_grant, as after the user revoked the app.
  'invalid_grant',
] as const;
export type TFaultKind = (typeof faultKinds)[number];

export const ZFaultRequestSchema = z.object({
  provider: z.enum(sandboxProviders),
  fault: z.enum(faultKinds),
  /** How many requests (or webhook deliveries, or played calls for reorder_webhooks) the fault affects. */
  times: z.number().int().min(1).max(1000).default(1),
  latencyMs: z.number().int().min(0).max(120_000).default(1000),
});
export type TFaultRequest = z.infer<typeof ZFaultRequestSchema>;

interface ActiveFault {
  provider: TSandboxProvider;
  fault: TFaultKind;
  remaining: number;
  latencyMs: number;
}

export class FaultBook {
  private active: ActiveFault[] = [];

  add(request: TFaultRequest): void {
    this.active.push({ ...request, remaining: request.times });
  }

  clear(): void {
    this.active = [];
  }

  /** Consumes one use of the oldest matching fault; returns undefined when none is active. */
  take(provider: TSandboxProvider, fault: TFaultKind): { latencyMs: number } | undefined {
    const match = this.active.find((entry) => entry.provider === provider && entry.fault === fault);
    if (match === undefined) {
      return undefined;
    }

    match.remaining -= 1;
    if (match.remaining <= 0) {
      this.active = this.active.filter((entry) => entry !== match);
    }

    return { latencyMs: match.latencyMs };
  }
}

export interface JournalEntry {
  provider: TSandboxProvider;
  method: string;
  /** Request path including the provider prefix, without the query string. */
  path: string;
  idempotencyKey: string | null;
  /** ISO time the request arrived. */
  at: string;
}

/** Provider requests in arrival order; capped so a long-running sandbox does not grow without bound. */
export class RequestJournal {
  private static readonly maxEntries = 10_000;
  private entries: JournalEntry[] = [];

  record(entry: JournalEntry): void {
    this.entries.push(entry);
    if (this.entries.length > RequestJournal.maxEntries) {
      this.entries.splice(0, this.entries.length - RequestJournal.maxEntries);
    }
  }

  list(provider?: TSandboxProvider): JournalEntry[] {
    return provider === undefined ? [...this.entries] : this.entries.filter((entry) => entry.provider === provider);
  }

  clear(): void {
    this.entries = [];
  }
}
