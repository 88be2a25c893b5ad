import { ApplicationFailure } from '@temporalio/activity';
import type { OAuthTokenVault } from '../lib/oauth/token-vault';
import type { TOAuthProviderName } from './signature-types';

// Access tokens of the rep's OAuth connections for the signature activities. A connection that needs the
// rep to act (never connected, or refused at refresh) becomes a non-retryable failure with a stable type,
// so the workflow waits for a reconnect instead of retrying against a dead token.

export const OAuthFailureType = {
  ReconnectRequired: 'oauth_reconnect_required',
  NotConnected: 'oauth_not_connected',
} as const;

export async function providerAccessToken(
  vault: OAuthTokenVault | undefined,
  userId: string,
  provider: TOAuthProviderName,
): Promise<{ accessToken: string; externalAccount: string | null }> {
  if (vault === undefined) {
    throw ApplicationFailure.nonRetryable(
      `No OAuth token vault is configured for ${provider}`,
      OAuthFailureType.NotConnected,
    );
  }
  try {
    return await vault.accessToken(userId, provider);
  } catch (error) {
    const failureType = oauthFailureType(error);
    if (failureType !== undefined) {
      throw ApplicationFailure.create({
        message: `The ${provider} connection of user ${userId} cannot be used: ${failureType}`,
        type: failureType,
        nonRetryable: true,
        details: [{ provider }],
      });
    }
    throw error;
  }
}

/** Reads the vault's refusals by name and code, so this module does not load the vault's crypto code. */
function oauthFailureType(error: unknown): string | undefined {
  if (!(error instanceof Error)) {
    return undefined;
  }
  if (error.name === 'OAuthReconnectRequiredError') {
    return OAuthFailureType.ReconnectRequired;
  }
  const code = (error as { code?: unknown }).code;
  if (code === OAuthFailureType.NotConnected || code === OAuthFailureType.ReconnectRequired) {
    return code;
  }

  return undefined;
}
