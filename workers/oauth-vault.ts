import { log } from '@temporalio/activity';
import type { Resend } from 'resend';
import { createEmailActivities } from '../activities/resend';
import type { TConfig } from '../lib/config';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { createOAuthProviderClients } from '../lib/oauth/provider-clients';
import { resolveTokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { createOAuthTokenVault, type ReconnectNotice } from '../lib/oauth/token-vault';
import type { OAuthTokenVault } from '../lib/oauth/types';

// The worker's token vault: keys from OAUTH_TOKEN_KEYS (or the local key file), provider clients from the
// configuration, and an email through Resend when a connection needs the user to connect it again.

const providerNames = { docusign: 'DocuSign', pandadoc: 'PandaDoc', gmail: 'Gmail' } as const;

export async function createWorkerOAuthVault(
  config: TConfig,
  prisma: PrismaClient,
  resend: Resend,
): Promise<OAuthTokenVault> {
  const email = createEmailActivities({ resend, from: config.EMAIL_FROM });

  return createOAuthTokenVault({
    prisma,
    keys: await resolveTokenEncryptionKeys(config),
    providers: createOAuthProviderClients(config),
    notifyReconnectRequired: async (notice: ReconnectNotice) => {
      if (notice.email === null) return;
      const name = providerNames[notice.provider];
      try {
        await email.sendEmail({
          to: notice.email,
          subject: `Reconnect ${name} to Sales Blitz`,
          text: `${name} no longer accepts the connection you gave Sales Blitz. Connect it again in settings: ${config.publicBaseUrl}/settings\nProposals waiting for ${name} continue once you reconnect.`,
          // The vault notifies once, when it marks the row; the key also covers a retried send (Resend keeps it 24 h).
          idempotencyKey: `oauth-reconnect-${notice.connectionId}-${notice.provider}`,
        });
      } catch (error) {
        // The reconnect state and audit row are stored already; the settings page shows it without the email.
        log.warn('Reconnect email failed', {
          userId: notice.userId,
          provider: notice.provider,
          error: (error as Error).message,
        });
      }
    },
  });
}
