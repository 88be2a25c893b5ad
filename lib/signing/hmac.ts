import { createHmac, timingSafeEqual } from 'node:crypto';

// HMAC-SHA256 signatures of webhook bodies as DocuSign Connect and PandaDoc compute them. Both use the key's
// UTF-8 bytes and the raw request body; DocuSign sends base64, PandaDoc hex.

export function hmacSha256(key: string, body: Buffer | string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest();
}

export function docusignSignature(key: string, body: Buffer | string): string {
  return hmacSha256(key, body).toString('base64');
}

export function pandadocSignature(key: string, body: Buffer | string): string {
  return hmacSha256(key, body).toString('hex');
}

/**
 * True when any presented signature matches the body under any key. Every comparison runs in constant
 * time for its length, and during a key rotation the old and the new key are both accepted.
 */
export function matchesAnySignature(
  presented: readonly string[],
  keys: readonly string[],
  body: Buffer,
  encoding: 'base64' | 'hex',
): boolean {
  let matched = false;
  for (const key of keys) {
    const expected = hmacSha256(key, body);
    for (const signature of presented) {
      const candidate = Buffer.from(signature.trim(), encoding);
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        matched = true;
      }
    }
  }

  return matched;
}
