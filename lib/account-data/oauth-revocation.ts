import { OAuthProviderError, type OAuthProviderClients, type TRevokeOutcome } from '../oauth/provider-clients';
import { decryptToken, type TokenEncryptionKeys } from '../oauth/token-crypto';
import type { TOAuthProvider } from '../oauth/types';

// Revocation of a deleted account's OAuth grants at each provider, before the rows are deleted. Google offers a
// revoke endpoint. DocuSign and PandaDoc document none, so their clients return `not_supported`.

/**
 * Outcome of one revocation. `already_revoked`: the provider rejected the token as invalid, so no grant is left
 * (a retried activity meets this after its first attempt revoked it). `unreadable`: no configured key decrypts the
 * row, so there is no token to send.
 */
export type TConnectionRevocation = TRevokeOutcome | 'already_revoked' | 'unreadable';

/** An `oauth_connections` row as stored, tokens still encrypted. */
export interface StoredConnection {
  id: string;
  userId: string;
  provider: TOAuthProvider;
  keyId: string;
  accessTokenCiphertext: string;
  refreshTokenCiphertext: string | null;
}

/** Revokes one connection's grant. Throws when the provider fails or rejects the request, so the caller may retry. */
export type ConnectionRevoker = (connection: StoredConnection) => Promise<TConnectionRevocation>;

export function createConnectionRevoker(deps: {
  keys: TokenEncryptionKeys;
  providers: OAuthProviderClients;
}): ConnectionRevoker {
  return async (connection) => {
    const tokens = decryptTokens(deps.keys, connection);
    if (tokens === null) {
      return 'unreadable';
    }
    try {
      return await deps.providers[connection.provider].revoke(tokens);
    } catch (error) {
      // NOTE: Google's reference documents only "400 on error". The body `invalid_token` ("Token expired or revoked")
      // comes from a published response (github.com/mrdulin/nodejs-googleapis) and is what the sandbox returns.
      if (error instanceof OAuthProviderError && error.status === 400 && error.oauthError === 'invalid_token') {
        return 'already_revoked';
      }
      throw error;
    }
  };
}

function decryptTokens(
  keys: TokenEncryptionKeys,
  connection: StoredConnection,
): { accessToken: string; refreshToken: string | null } | null {
  const binding = { userId: connection.userId, provider: connection.provider };
  try {
    const accessToken = decryptToken(keys, connection.keyId, connection.accessTokenCiphertext, {
      ...binding,
      kind: 'access',
    });
    const refreshToken =
      connection.refreshTokenCiphertext === null
        ? null
        : decryptToken(keys, connection.keyId, connection.refreshTokenCiphertext, { ...binding, kind: 'refresh' });

    return { accessToken, refreshToken };
  } catch {
    // The key is missing or the ciphertext is bound to another row, so there is no token to send.
    return null;
  }
}
