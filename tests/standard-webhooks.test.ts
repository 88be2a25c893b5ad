import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeWebhookSecret, signWebhook, verifyWebhook, WebhookVerificationError } from '../lib/standard-webhooks';

// The Standard Webhooks test vectors, restated as data in the shared fixtures, run through the product's own
// signer and verifier. Relative timestamps ("now - 301 seconds") are resolved against the clock when the test
// runs. The concrete header values given for `reference_now` are also checked with that fixed clock.

const vectorsFile = path.resolve(
  __dirname,
  '..',
  '..',
  'shared',
  'fixtures',
  'webhooks',
  'standard-webhooks-vectors.json',
);

interface VectorCase {
  test_name: string;
  kind: 'constructor' | 'verify' | 'sign';
  expected_result: 'pass' | 'fail';
  secret?: string;
  secret_values?: Array<string | null>;
  msg_id?: string;
  timestamp?: string | number;
  body?: string;
  headers?: Record<string, string>;
  example_at_reference_now?: Record<string, string>;
  expected_signature_header?: string;
}

interface Vectors {
  reference_now: number;
  defaults: { timestamp_tolerance_seconds: number };
  cases: VectorCase[];
}

const vectors = JSON.parse(readFileSync(vectorsFile, 'utf8')) as Vectors;

// The verification failure each failing vector must produce. The API maps `stale` to 401 stale_webhook and
// every other reason to 401 invalid_signature, so the reason decides the error code a sender receives.
const expectedReasonByCase: Record<string, WebhookVerificationError['reason']> = {
  'missing id raises error': 'missing_headers',
  'missing timestamp raises error': 'missing_headers',
  'invalid timestamp throws error': 'invalid_timestamp',
  'missing signature raises error': 'missing_headers',
  'invalid signature throws error': 'invalid_signature',
  'partial signature throws error (truncated)': 'invalid_signature',
  'partial signature throws error (empty v1)': 'invalid_signature',
  'old timestamp fails': 'stale',
  'new timestamp fails': 'stale',
};

/** Resolves "now", "now - 301" or "now + 301 seconds (...)" against `nowSeconds`; other text is kept as given. */
function resolveTimestamp(text: string | number, nowSeconds: number): string {
  const relative = /^now(?:\s*([+-])\s*(\d+))?(?:\s|$)/.exec(String(text));
  if (relative === null) {
    return String(text);
  }
  const offset = relative[2] === undefined ? 0 : Number(relative[2]) * (relative[1] === '-' ? -1 : 1);

  return String(nowSeconds + offset);
}

/** Builds the headers a vector describes in words, computing the valid signature for the current clock. */
function headersAtTestTime(vector: VectorCase, nowSeconds: number): Record<string, string> {
  const signedTimestamp = Number(resolveTimestamp(vector.timestamp!, nowSeconds));
  const validSignature = signWebhook(vector.secret!, vector.msg_id!, signedTimestamp, vector.body!);
  const headers: Record<string, string> = {};
  for (const [name, description] of Object.entries(vector.headers ?? {})) {
    headers[name] = resolveHeader(name, description, nowSeconds, validSignature);
  }

  return headers;
}

function resolveHeader(name: string, description: string, nowSeconds: number, validSignature: string): string {
  if (name === 'webhook-timestamp') {
    return resolveTimestamp(description, nowSeconds);
  }
  if (name !== 'webhook-signature') {
    return description;
  }
  if (description.startsWith('computed:')) {
    return validSignature;
  }
  if (description.startsWith('first 8 characters')) {
    return validSignature.slice(0, 8);
  }
  if (description.includes('<valid v1 signature>')) {
    return description.replace('<valid v1 signature>', validSignature);
  }
  if (/^v\d,/.test(description)) {
    return description;
  }
  // A new wording in the vectors must be taught here rather than silently treated as a literal.
  throw new Error(`Unrecognised webhook-signature description in the vectors: ${description}`);
}

function verifyOutcome(vector: VectorCase, headers: Record<string, string>, nowSeconds: number) {
  try {
    const verified = verifyWebhook({
      secret: vector.secret!,
      headers,
      rawBody: Buffer.from(vector.body!, 'utf8'),
      nowSeconds,
    });

    return { verified, error: undefined };
  } catch (error) {
    return { verified: undefined, error };
  }
}

function expectOutcome(vector: VectorCase, outcome: ReturnType<typeof verifyOutcome>): void {
  if (vector.expected_result === 'pass') {
    expect(outcome.error).toBeUndefined();
    expect(outcome.verified?.messageId).toBe(vector.msg_id);
    expect(JSON.parse(vector.body!)).toBeTypeOf('object');
    return;
  }
  expect(outcome.error).toBeInstanceOf(WebhookVerificationError);
  expect((outcome.error as WebhookVerificationError).reason).toBe(expectedReasonByCase[vector.test_name]);
}

const verifyCases = vectors.cases.filter((vector) => vector.kind === 'verify');
const referenceCases = verifyCases.filter((vector) => vector.example_at_reference_now !== undefined);

describe('standard webhooks vectors', () => {
  test('fixture lists every kind of case this file runs', () => {
    const kinds = new Set(vectors.cases.map((vector) => vector.kind));

    expect([...kinds].sort()).toEqual(['constructor', 'sign', 'verify']);
    expect(vectors.defaults.timestamp_tolerance_seconds).toBe(300);
    for (const vector of verifyCases.filter((candidate) => candidate.expected_result === 'fail')) {
      expect(expectedReasonByCase[vector.test_name], vector.test_name).toBeDefined();
    }
  });

  test.each(verifyCases.map((vector) => [vector.test_name, vector] as const))('%s, at test time', (_name, vector) => {
    const nowSeconds = Math.floor(Date.now() / 1000);

    expectOutcome(vector, verifyOutcome(vector, headersAtTestTime(vector, nowSeconds), nowSeconds));
  });

  test.each(referenceCases.map((vector) => [vector.test_name, vector] as const))(
    '%s, at the reference time',
    (_name, vector) => {
      const headers = vector.example_at_reference_now!;

      expectOutcome(vector, verifyOutcome(vector, headers, vectors.reference_now));
    },
  );

  test.each(
    vectors.cases.filter((vector) => vector.kind === 'sign').map((vector) => [vector.test_name, vector] as const),
  )('%s: known-answer signature', (_name, vector) => {
    const signature = signWebhook(vector.secret!, vector.msg_id!, Number(vector.timestamp), vector.body!);

    expect(signature).toBe(vector.expected_signature_header);
  });

  test.each(
    vectors.cases
      .filter((vector) => vector.kind === 'constructor')
      .map((vector) => [vector.test_name, vector] as const),
  )('%s, for every listed secret', (_name, vector) => {
    // The fixture writes the undefined value as "undefined (JavaScript)".
    const secrets = (vector.secret_values ?? []).map((value) =>
      value === 'undefined (JavaScript)' ? undefined : value,
    );
    expect(secrets).toContain(undefined);

    for (const secret of secrets) {
      expect(() => decodeWebhookSecret(secret), String(secret)).toThrow(Error);
      expect(() => verifyWebhook({ secret: secret as string, headers: {}, rawBody: '{}' }), String(secret)).toThrow(
        Error,
      );
    }
  });

  test('signature of a body with one changed byte is rejected', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const nowSeconds = Math.floor(Date.now() / 1000);
    const signature = signWebhook(secret, 'msg_1', nowSeconds, '{"test": 1}');
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(nowSeconds), 'webhook-signature': signature };

    expect(() => verifyWebhook({ secret, headers, rawBody: '{"test": 2}', nowSeconds })).toThrow(
      WebhookVerificationError,
    );
    expect(verifyWebhook({ secret, headers, rawBody: '{"test": 1}', nowSeconds }).messageId).toBe('msg_1');
  });

  test('timestamp exactly at the tolerance is accepted', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const nowSeconds = 1_700_000_000;
    for (const timestamp of [nowSeconds - 300, nowSeconds + 300]) {
      const headers = {
        'webhook-id': 'msg_2',
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, 'msg_2', timestamp, '{}'),
      };

      expect(verifyWebhook({ secret, headers, rawBody: '{}', nowSeconds }).timestampSeconds).toBe(timestamp);
    }
  });
});
