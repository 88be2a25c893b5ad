import type { Logger } from '../lib/logger';
import type { Scheduler } from './scheduler';

// Sends one webhook event the way Svix and AssemblyAI do: a POST of the JSON body, retried with growing
// delays while the receiver returns non-2xx or cannot be reached. The caller builds the headers per
// attempt because Standard Webhooks signatures cover a timestamp that is fresh on every attempt.

/** Delays before the second, third and fourth attempt. Far shorter than Svix's real schedule so tests stay fast. */
export const defaultWebhookRetryDelaysMs = [100, 400, 1600] as const;

const attemptTimeoutMs = 15_000;

export interface WebhookDelivery {
  url: string;
  body: string;
  /** Headers for one attempt, numbered from 1. */
  headersForAttempt: (attempt: number) => Record<string, string>;
  /** Ids to log; never the body, which may carry transcript-derived content. */
  logFields: Record<string, string>;
}

export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last attempt, or null when the receiver could not be reached. */
  lastStatus: number | null;
}

export async function deliverWebhook(
  delivery: WebhookDelivery,
  options: { scheduler: Scheduler; retryDelaysMs: readonly number[]; log: Logger },
): Promise<DeliveryOutcome> {
  const maxAttempts = options.retryDelaysMs.length + 1;
  let lastStatus: number | null = null;

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (options.scheduler.closed) {
      break;
    }

    lastStatus = await postOnce(delivery, attempt, options.scheduler.signal);
    if (lastStatus !== null && lastStatus >= 200 && lastStatus < 300) {
      return { delivered: true, attempts: attempt, lastStatus };
    }

    const retryDelayMs = options.retryDelaysMs[attempt - 1];
    if (retryDelayMs === undefined) {
      options.log.warn(
        { ...delivery.logFields, attempts: attempt, status: lastStatus },
        'Webhook delivery failed, giving up',
      );

      return { delivered: false, attempts: attempt, lastStatus };
    }
    options.log.info(
      { ...delivery.logFields, attempt, status: lastStatus, retryDelayMs },
      'Webhook delivery failed, retrying',
    );
    try {
      await options.scheduler.sleep(retryDelayMs);
    } catch {
      break;
    }
  }

  return { delivered: false, attempts: 0, lastStatus };
}

async function postOnce(delivery: WebhookDelivery, attempt: number, closed: AbortSignal): Promise<number | null> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...delivery.headersForAttempt(attempt) },
      body: delivery.body,
      signal: AbortSignal.any([closed, AbortSignal.timeout(attemptTimeoutMs)]),
    });
    // The body is read and dropped so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);

    return response.status;
  } catch {
    return null;
  }
}
