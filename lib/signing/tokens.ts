import { createHash, randomBytes } from 'node:crypto';

// Built-in signing links. A link's token is 32 random bytes in base64url (43 characters); the database keeps
// only its SHA-256, so a leaked table cannot be turned back into working links.

const tokenBytes = 32;
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** Creates a fresh signing token and the hash to store in its place. */
export function createSigningToken(): { token: string; tokenHash: string } {
  const token = randomBytes(tokenBytes).toString('base64url');

  return { token, tokenHash: hashSigningToken(token) };
}

/** Hex SHA-256 of a token, the only form of it the database holds. */
export function hashSigningToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when the text has the shape of a token; anything else cannot match a row and gets 404 at once. */
export function isSigningTokenShape(text: string): boolean {
  return tokenPattern.test(text);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
