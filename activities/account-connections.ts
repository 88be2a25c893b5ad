import { Context, log } from '@temporalio/activity';
import type { ConnectionRevoker, StoredConnection, TConnectionRevocation } from '../lib/account-data/oauth-revocation';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { withUserScope } from '../lib/oauth/rls';

// The OAuth step of an account deletion. Each connection's grant is revoked at its provider where the provider
// supports it, and then every connection row of the user is deleted. Rows are read and deleted in the user's
// row-level security scope.

const storedConnectionColumns = {
  id: true,
  userId: true,
  provider: true,
  keyId: true,
  accessTokenCiphertext: true,
  refreshTokenCiphertext: true,
} as const;

/** Activity attempts that fail on a revocation error, so Temporal retries them, before the deletion goes on without it. */
const revocationAttempts = 5;

type RevocationOutcome = TConnectionRevocation | 'failed';

const revocationTally = {
  revoked: 'revoked',
  already_revoked: 'alreadyRevoked',
  not_supported: 'notSupported',
  unreadable: 'failed',
  failed: 'failed',
} as const satisfies Record<RevocationOutcome, string>;

async function revokeOrGiveUp(revoke: ConnectionRevoker, connection: StoredConnection): Promise<RevocationOutcome> {
  try {
    return await revoke(connection);
  } catch (error) {
    if (Context.current().info.attempt < revocationAttempts) {
      throw error;
    }
    // A provider still failing after the retries must not hold up the deletion. The grant stays valid at the
    // provider, but the product deletes its tokens.
    log.warn('OAuth revocation failed; the connection is deleted anyway', {
      connectionId: connection.id,
      provider: connection.provider,
      error: error instanceof Error ? error.message : String(error),
    });

    return 'failed';
  }
}

export async function revokeAndDeleteConnections(
  prisma: PrismaClient,
  revoke: ConnectionRevoker,
  userId: string,
): Promise<{ revoked: number; alreadyRevoked: number; notSupported: number; failed: number }> {
  const connections = await withUserScope(prisma, userId, (tx) =>
    tx.oAuthConnection.findMany({ where: { userId }, select: storedConnectionColumns }),
  );
  const tally = { revoked: 0, alreadyRevoked: 0, notSupported: 0, failed: 0 };
  for (const connection of connections) {
    const outcome = await revokeOrGiveUp(revoke, connection);
    tally[revocationTally[outcome]] += 1;
  }
  // Tokens a provider did not revoke are deleted too, so the product can never use them again.
  await withUserScope(prisma, userId, (tx) => tx.oAuthConnection.deleteMany({ where: { userId } }));
  log.info('OAuth connections revoked and deleted', { userId, ...tally });

  return tally;
}
