import { AppError } from '../errors';
import type { PrismaClient } from '../generated/prisma/client';
import { decryptToken, encryptToken, type TokenEncryptionKeys } from './token-crypto';
import { type OAuthProviderClients, OAuthProviderError, type OAuthTokenSet } from './provider-clients';
import { type ScopedTransaction, withUserScope } from './rls';
import { OAuthReconnectRequiredError, type OAuthTokenVault, type TOAuthProvider } from './types';

// The one way activities obtain a user's provider access token. Tokens are decrypted only here, refreshed under
// a row lock so concurrent callers refresh once, and never logged.

export { OAuthReconnectRequiredError, type OAuthTokenVault, type TOAuthProvider } from './types';
export type { TokenEncryptionKeys } from './token-crypto';
export type { OAuthProviderClients } from './provider-clients';

/** An access token expiring sooner than this is refreshed before it is handed out. */
export const refreshMarginMs = 5 * 60 * 1000;

export interface ReconnectNotice {
  userId: string;
  provider: TOAuthProvider;
  connectionId: string;
  email: string | null;
}

export interface TokenVaultDependencies {
  prisma: PrismaClient;
  keys: TokenEncryptionKeys;
  providers: OAuthProviderClients;
  /** Tells the user that the connection needs them; called once per marking, and its failures are ignored. */
  notifyReconnectRequired?: (notice: ReconnectNotice) => Promise<void>;
  now?: () => number;
}

type ScopedResult =
  | { kind: 'token'; accessToken: string; externalAccount: string | null }
  | { kind: 'reconnect'; notice?: ReconnectNotice };

export function createOAuthTokenVault(deps: TokenVaultDependencies): OAuthTokenVault {
  const now = deps.now ?? Date.now;

  return {
    async accessToken(userId, provider) {
      const result = await withUserScope(deps.prisma, userId, (tx) => readOrRefresh(deps, tx, userId, provider, now()));
      if (result.kind === 'reconnect') {
        // Told after the commit, so an email never announces a state that was rolled back.
        if (result.notice !== undefined && deps.notifyReconnectRequired !== undefined) {
          await deps.notifyReconnectRequired(result.notice).catch(() => undefined);
        }
        throw new OAuthReconnectRequiredError(provider, userId);
      }

      return { accessToken: result.accessToken, externalAccount: result.externalAccount };
    },
  };
}

async function readOrRefresh(
  deps: TokenVaultDependencies,
  tx: ScopedTransaction,
  userId: string,
  provider: TOAuthProvider,
  nowMs: number,
): Promise<ScopedResult> {
  // The row lock makes a second concurrent caller wait here and then read the tokens the first one stored.
  await tx.$queryRaw`SELECT id FROM oauth_connections WHERE user_id = ${userId} AND provider = ${provider}::"OAuthProvider" FOR UPDATE`;
  const row = await tx.oAuthConnection.findUnique({ where: { userId_provider: { userId, provider } } });
  if (row === null) {
    throw new AppError('oauth_not_connected', `No ${provider} connection for user ${userId}: connect it in settings`);
  }
  if (row.status === 'needs_reconnect') {
    return { kind: 'reconnect' };
  }
  const binding = { userId, provider } as const;
  if (row.accessTokenExpiresAt.getTime() - nowMs > refreshMarginMs) {
    const accessToken = decryptToken(deps.keys, row.keyId, row.accessTokenCiphertext, { ...binding, kind: 'access' });

    return { kind: 'token', accessToken, externalAccount: row.externalAccount };
  }
  if (row.refreshTokenCiphertext === null) {
    return markNeedsReconnect(tx, row, 'no_refresh_token');
  }

  const refreshToken = decryptToken(deps.keys, row.keyId, row.refreshTokenCiphertext, { ...binding, kind: 'refresh' });
  let tokens: OAuthTokenSet;
  try {
    tokens = await deps.providers[provider].refresh(refreshToken);
  } catch (error) {
    if (error instanceof OAuthProviderError && error.isInvalidGrant) {
      return markNeedsReconnect(tx, row, 'invalid_grant');
    }
    // Anything else (5xx, timeout, 429) is thrown as is: the activity's retry policy backs off and tries again.
    throw error;
  }

  await tx.oAuthConnection.update({
    where: { id: row.id },
    data: encryptTokenColumns(
      deps.keys,
      { userId, provider },
      tokens.accessToken,
      tokens.refreshToken ?? refreshToken,
      {
        expiresAtMs: nowMs + tokens.expiresInSeconds * 1000,
      },
    ),
  });

  return { kind: 'token', accessToken: tokens.accessToken, externalAccount: row.externalAccount };
}

/**
 * Encrypts both tokens under the current key and returns the row's token columns. Re-encrypting the refresh
 * token on every refresh moves old rows to the new key after a rotation.
 */
export function encryptTokenColumns(
  keys: TokenEncryptionKeys,
  binding: { userId: string; provider: TOAuthProvider },
  accessToken: string,
  refreshToken: string | null,
  expiry: { expiresAtMs: number },
): { keyId: string; accessTokenCiphertext: string; refreshTokenCiphertext: string | null; accessTokenExpiresAt: Date } {
  const access = encryptToken(keys, accessToken, { ...binding, kind: 'access' });
  const refresh = refreshToken === null ? null : encryptToken(keys, refreshToken, { ...binding, kind: 'refresh' });

  return {
    keyId: access.keyId,
    accessTokenCiphertext: access.ciphertext,
    refreshTokenCiphertext: refresh?.ciphertext ?? null,
    accessTokenExpiresAt: new Date(expiry.expiresAtMs),
  };
}

async function markNeedsReconnect(
  tx: ScopedTransaction,
  row: { id: string; userId: string; organizationId: string; provider: TOAuthProvider },
  reason: 'invalid_grant' | 'no_refresh_token',
): Promise<ScopedResult> {
  await tx.oAuthConnection.update({ where: { id: row.id }, data: { status: 'needs_reconnect' } });
  await tx.auditEvent.create({
    data: {
      organizationId: row.organizationId,
      actorUserId: null,
      action: 'oauth.reconnect_required',
      subjectType: 'oauth_connection',
      subjectId: row.id,
      data: { provider: row.provider, userId: row.userId, reason },
    },
  });
  const user = await tx.user.findUnique({ where: { id: row.userId }, select: { email: true } });

  return {
    kind: 'reconnect',
    notice: { userId: row.userId, provider: row.provider, connectionId: row.id, email: user?.email ?? null },
  };
}
