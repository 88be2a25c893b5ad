import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { TokenEncryptionKeys } from './token-crypto';
import { oauthProviders, type TOAuthProvider } from './types';

// The OAuth `state` parameter: an HMAC-signed claim naming the user, organisation and provider, valid for ten
// minutes and accepted once. It also carries the hash of a random browser binding that the connecting browser
// keeps in a cookie, so a link started by one user cannot be completed in another user's browser.
// The HMAC key is derived from the current token encryption key, so a key rotation voids states in flight.

export const stateLifetimeMs = 10 * 60 * 1000;

export interface OAuthStateClaims {
  userId: string;
  organizationId: string;
  provider: TOAuthProvider;
  expiresAtMs: number;
}

interface StatePayload extends OAuthStateClaims {
  keyId: string;
  nonce: string;
  bindingHash: string;
}

export type TStateRejection = 'invalid_state' | 'state_expired' | 'state_used';

function stateKey(keys: TokenEncryptionKeys, keyId: string): Buffer | undefined {
  const key = keys.byId.get(keyId);

  return key === undefined ? undefined : Buffer.from(hkdfSync('sha256', key, '', 'sales-blitz oauth state v1', 32));
}

function sha256Base64Url(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Issues a state and the browser binding value the caller must set as a cookie. */
export function issueState(
  keys: TokenEncryptionKeys,
  claims: Omit<OAuthStateClaims, 'expiresAtMs'>,
  nowMs: number,
): { state: string; browserBinding: string; expiresAtMs: number } {
  const browserBinding = randomBytes(24).toString('base64url');
  const payload: StatePayload = {
    ...claims,
    expiresAtMs: nowMs + stateLifetimeMs,
    keyId: keys.current.id,
    nonce: randomBytes(12).toString('base64url'),
    bindingHash: sha256Base64Url(browserBinding),
  };
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', stateKey(keys, keys.current.id)!).update(encoded).digest('base64url');

  return { state: `${encoded}.${mac}`, browserBinding, expiresAtMs: payload.expiresAtMs };
}

/** Checks signature, provider, expiry and browser binding; does not consume the state. */
export function verifyState(
  keys: TokenEncryptionKeys,
  state: string,
  expected: { provider: string; browserBinding: string | undefined; nowMs: number },
): OAuthStateClaims | TStateRejection {
  const [encoded, mac, extra] = state.split('.');
  if (encoded === undefined || mac === undefined || extra !== undefined) return 'invalid_state';
  let payload: StatePayload;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as StatePayload;
  } catch {
    return 'invalid_state';
  }
  const key = typeof payload.keyId === 'string' ? stateKey(keys, payload.keyId) : undefined;
  if (key === undefined) return 'invalid_state';
  const expectedMac = createHmac('sha256', key).update(encoded).digest();
  const givenMac = Buffer.from(mac, 'base64url');
  if (givenMac.length !== expectedMac.length || !timingSafeEqual(givenMac, expectedMac)) return 'invalid_state';

  if (!(oauthProviders as readonly string[]).includes(payload.provider) || payload.provider !== expected.provider) {
    return 'invalid_state';
  }
  if (expected.browserBinding === undefined || sha256Base64Url(expected.browserBinding) !== payload.bindingHash) {
    return 'invalid_state';
  }
  if (payload.expiresAtMs <= expected.nowMs) return 'state_expired';

  return {
    userId: payload.userId,
    organizationId: payload.organizationId,
    provider: payload.provider,
    expiresAtMs: payload.expiresAtMs,
  };
}

/**
 * Marks a state used by storing its hash in `webhook_events` (provider `oauth_state`). The unique key on
 * (provider, event_id) makes a second use fail, even when two callbacks race.
 */
export async function consumeState(prisma: PrismaClient, state: string, claims: OAuthStateClaims): Promise<boolean> {
  try {
    await prisma.webhookEvent.create({
      data: {
        provider: 'oauth_state',
        eventId: sha256Base64Url(state),
        eventType: claims.provider,
        subjectId: claims.userId,
      },
    });

    return true;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return false;
    throw error;
  }
}
