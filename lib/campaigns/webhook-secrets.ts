import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Secrets of the two campaign webhooks. Cal.com signs each delivery: `X-Cal-Signature-256` is the hex
// HMAC-SHA256 of the raw body under the webhook's secret. Instantly.ai publishes no signature scheme, so each
// company gets a random secret that its admin enters as a custom header of the Instantly webhook. Only the
// SHA-256 of that secret is stored, so a database read does not reveal it.

/**
 * Header that carries the company's Instantly webhook secret.
 * NOTE: this relies on Instantly's webhook settings accepting a custom header; no live workspace was checked.
 */
export const instantlySecretHeader = 'X-Sales-Blitz-Instantly-Secret';

export const calcomSignatureHeader = 'X-Cal-Signature-256';

export function generateInstantlySecret(): { secret: string; hash: string } {
  const secret = `inst_${randomBytes(32).toString('base64url')}`;

  return { secret, hash: hashInstantlySecret(secret) };
}

export function hashInstantlySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares the presented secret's hash with the stored hash in constant time; false for a missing secret. */
export function instantlySecretMatches(presented: string | undefined, storedHash: string | null): boolean {
  if (presented === undefined || presented === '' || storedHash === null) {
    return false;
  }
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashInstantlySecret(presented), 'hex');

  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function signCalcomBody(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Checks `X-Cal-Signature-256` against the raw body in constant time; false when it is missing or malformed. */
export function calcomSignatureMatches(secret: string, rawBody: Buffer, signature: string | undefined): boolean {
  if (signature === undefined || !/^[0-9a-f]{64}$/i.test(signature.trim())) {
    return false;
  }
  const expected = Buffer.from(signCalcomBody(secret, rawBody), 'hex');
  const actual = Buffer.from(signature.trim().toLowerCase(), 'hex');

  return timingSafeEqual(expected, actual);
}
