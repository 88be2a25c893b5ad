// The product's one error model. Every rejection carries a stable code. The API maps codes to HTTP
// statuses in one place, and activities turn provider rejections into non-retryable Temporal failures
// whose `type` is the same code. This module is pure so workflows may import the codes.

export const ErrorCode = {
  InvalidRequest: 'invalid_request',
  InvalidJson: 'invalid_json',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Conflict: 'conflict',
  RateLimited: 'rate_limited',
  InvalidSignature: 'invalid_signature',
  StaleWebhook: 'stale_webhook',
  UnknownWebhookSubject: 'unknown_webhook_subject',
  InvalidTranscript: 'invalid_transcript',
  ProviderRejected: 'provider_rejected',
  ProviderUnavailable: 'provider_unavailable',
  ModelOutputInvalid: 'model_output_invalid',
  ModelOutputTruncated: 'model_output_truncated',
  BotNeverJoined: 'bot_never_joined',
  BotFailed: 'bot_failed',
  PlanLimitExceeded: 'plan_limit_exceeded',
  OAuthNotConnected: 'oauth_not_connected',
  OAuthReconnectRequired: 'oauth_reconnect_required',
  StaleVersion: 'stale_version',
  InvalidState: 'invalid_state',
  ProposalExpired: 'proposal_expired',
  ConsentMissing: 'consent_missing',
  SigningLinkUsed: 'signing_link_used',
  SigningLinkExpired: 'signing_link_expired',
  Internal: 'internal_error',
  ServiceUnavailable: 'service_unavailable',
} as const;

export type TErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatusByCode: Record<TErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  invalid_signature: 401,
  stale_webhook: 401,
  unknown_webhook_subject: 404,
  invalid_transcript: 422,
  provider_rejected: 502,
  provider_unavailable: 503,
  model_output_invalid: 502,
  model_output_truncated: 502,
  bot_never_joined: 409,
  bot_failed: 409,
  // 402 rather than 403: a paid plan (or next month) lifts the refusal; nothing is wrong with the caller's role.
  plan_limit_exceeded: 402,
  oauth_not_connected: 409,
  oauth_reconnect_required: 409,
  stale_version: 409,
  invalid_state: 409,
  proposal_expired: 409,
  consent_missing: 409,
  signing_link_used: 410,
  signing_link_expired: 410,
  internal_error: 500,
  service_unavailable: 503,
};

/** A refusal the caller can act on; `message` is shown to users, so it must not contain secrets or transcript text. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: TErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }

  readonly details: Record<string, unknown> | undefined;

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
