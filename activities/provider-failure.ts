import { ApplicationFailure } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';

// How a provider's HTTP refusal becomes a Temporal failure. A 4xx other than 408 and 429 means the request
// itself is wrong, so retrying cannot help: non-retryable, with the product's error code and the status.
// Timeouts, rate limits and 5xx are outages: a plain error, left to the activity's retry policy.

export type Provider =
  | 'recall'
  | 'anthropic'
  | 'assemblyai'
  | 'gemini'
  | 'resend'
  | 'docusign'
  | 'pandadoc'
  | 'gmail'
  | 'oauth'
  | 'instantly'
  | 'stripe';

export function isPermanentHttpStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export function providerFailure(
  provider: Provider,
  status: number | undefined,
  message: string,
  cause?: unknown,
): Error {
  const detail = `${provider} request failed with status ${status ?? 'unknown'}: ${message}`;
  if (status !== undefined && isPermanentHttpStatus(status)) {
    return ApplicationFailure.create({
      message: detail,
      type: ErrorCode.ProviderRejected,
      nonRetryable: true,
      details: [{ provider, status }],
      cause: cause instanceof Error ? cause : undefined,
    });
  }

  return new Error(detail, cause === undefined ? undefined : { cause });
}

/** Reads an HTTP status from the error classes the official SDKs throw (`status` on Anthropic and Gemini errors). */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = error.status;
    if (typeof status === 'number') {
      return status;
    }
  }

  return undefined;
}

/** Sends a heartbeat every few seconds while `work` runs, so a long provider call does not look like a lost worker. */
export async function withHeartbeats<T>(heartbeat: () => void, work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  heartbeat();
  const timer = setInterval(heartbeat, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
