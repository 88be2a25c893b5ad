import { createHmac, timingSafeEqual } from 'node:crypto';

// The Standard Webhooks signature scheme (the one Svix and Recall.ai use): HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<raw body>" keyed with the base64-decoded secret, sent as one or
// more space-separated "v1,<base64>" entries in `webhook-signature`. Used by the API to verify
// deliveries and by the sandbox to sign them, so both ends follow one implementation.

export const defaultToleranceSeconds = 300;

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    readonly reason: 'missing_headers' | 'invalid_timestamp' | 'stale' | 'invalid_signature',
    message: string,
  ) {
    super(message);
  }
}

export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Decodes a `whsec_`-prefixed or bare base64 secret into the HMAC key; rejects an empty secret. */
export function decodeWebhookSecret(secret: string | null | undefined): Buffer {
  if (secret === null || secret === undefined || secret.trim() === '') {
    throw new Error('Webhook secret is missing: set it to the whsec_... value from the provider dashboard');
  }
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) {
    throw new Error('Webhook secret is not valid base64');
  }

  return key;
}

/** Returns the `webhook-signature` value ("v1,<base64>") for one delivery. */
export function signWebhook(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  const key = decodeWebhookSecret(secret);
  const digest = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.`).update(body).digest('base64');

  return `v1,${digest}`;
}

/** Builds the three headers a Standard Webhooks sender attaches to a delivery. */
export function signedWebhookHeaders(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string | Buffer,
): StandardWebhookHeaders {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, messageId, timestampSeconds, body),
  };
}

/**
 * Verifies one delivery over its raw body. The timestamp must lie within `toleranceSeconds` of `nowSeconds`
 * in either direction; any one `v1` entry may match, and entries of other versions are ignored.
 * Returns the message id, which is the provider's event id for de-duplication.
 */
export function verifyWebhook(options: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer | string;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): { messageId: string; timestampSeconds: number } {
  const key = decodeWebhookSecret(options.secret);
  const messageId = headerValue(options.headers, 'webhook-id');
  const timestampText = headerValue(options.headers, 'webhook-timestamp');
  const signatureList = headerValue(options.headers, 'webhook-signature');
  if (messageId === undefined || timestampText === undefined || signatureList === undefined) {
    throw new WebhookVerificationError(
      'missing_headers',
      'Missing webhook-id, webhook-timestamp or webhook-signature header',
    );
  }

  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not a whole number of seconds');
  }
  const timestampSeconds = Number(timestampText);
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? defaultToleranceSeconds;
  if (Math.abs(nowSeconds - timestampSeconds) > tolerance) {
    throw new WebhookVerificationError('stale', `webhook-timestamp is more than ${tolerance} seconds from now`);
  }

  const expected = createHmac('sha256', key).update(`${messageId}.${timestampText}.`).update(options.rawBody).digest();
  const matches = signatureList
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .some((entry) => {
      const candidate = Buffer.from(entry.slice('v1,'.length), 'base64');

      return candidate.length === expected.length && timingSafeEqual(candidate, expected);
    });
  if (!matches) {
    throw new WebhookVerificationError('invalid_signature', 'No webhook-signature entry matches the body');
  }

  return { messageId, timestampSeconds };
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  const single = Array.isArray(value) ? value[0] : value;

  return single === undefined || single === '' ? undefined : single;
}
