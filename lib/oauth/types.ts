import type { PrismaClient } from '../generated/prisma/client';

// Names shared by the token vault, the provider OAuth clients, the connections API and the activities that
// call DocuSign, PandaDoc and Gmail on a user's behalf.

export const oauthProviders = ['docusign', 'pandadoc', 'gmail'] as const;
export type TOAuthProvider = (typeof oauthProviders)[number];

/** A refresh was rejected with `invalid_grant`: the user must connect the provider again. */
export class OAuthReconnectRequiredError extends Error {
  override readonly name = 'OAuthReconnectRequiredError';

  constructor(
    readonly provider: TOAuthProvider,
    readonly userId: string,
  ) {
    super(`The ${provider} connection of user ${userId} needs to be connected again`);
  }
}

export interface OAuthTokenVault {
  /** A valid access token for the user's connection, refreshed first when it expires within 5 minutes. */
  accessToken(
    userId: string,
    provider: TOAuthProvider,
  ): Promise<{ accessToken: string; externalAccount: string | null }>;
}

export type { PrismaClient };
