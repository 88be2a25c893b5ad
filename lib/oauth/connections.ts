import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { OAuthProviderClients, TRevokeOutcome } from './provider-clients';
import { withUserScope } from './rls';
import type { OAuthStateClaims } from './state';
import { decryptToken, type TokenEncryptionKeys } from './token-crypto';
import { encryptTokenColumns } from './token-vault';
import type { TOAuthProvider } from './types';
import { oauthReconnectedSignal, signatureWorkflowId } from '../../workflows/e-signature';

// What a user does with their OAuth connections: list them, finish connecting one after the provider's
// redirect, and disconnect one. Every read and write of `oauth_connections` runs in the user's RLS scope.

export interface ConnectionServices {
  prisma: PrismaClient;
  temporal: Client;
  keys: TokenEncryptionKeys;
  providers: OAuthProviderClients;
  logger: Logger;
}

export interface ConnectionView {
  provider: TOAuthProvider;
  status: 'active' | 'needs_reconnect';
  externalAccount: string | null;
  connectedAt: string;
}

export async function listConnections(prisma: PrismaClient, userId: string): Promise<ConnectionView[]> {
  const rows = await withUserScope(prisma, userId, (tx) =>
    tx.oAuthConnection.findMany({ where: { userId }, orderBy: { provider: 'asc' } }),
  );

  return rows.map((row) => ({
    provider: row.provider,
    status: row.status,
    externalAccount: row.externalAccount,
    connectedAt: row.createdAt.toISOString(),
  }));
}

/** Exchanges the authorization code, stores the encrypted tokens as an active connection and resumes waiting sends. */
export async function completeConnection(
  services: ConnectionServices,
  claims: OAuthStateClaims,
  input: { code: string; redirectUri: string; nowMs: number },
): Promise<void> {
  const { userId, organizationId, provider } = claims;
  const client = services.providers[provider];
  const tokens = await client.exchangeCode({ code: input.code, redirectUri: input.redirectUri });
  const externalAccount = await client.readAccount(tokens.accessToken);
  const columns = encryptTokenColumns(services.keys, { userId, provider }, tokens.accessToken, tokens.refreshToken, {
    expiresAtMs: input.nowMs + tokens.expiresInSeconds * 1000,
  });

  const connectionId = await withUserScope(services.prisma, userId, async (tx) => {
    const row = await tx.oAuthConnection.upsert({
      where: { userId_provider: { userId, provider } },
      create: { userId, organizationId, provider, externalAccount, scopes: tokens.scopes, ...columns },
      update: {
        organizationId,
        status: 'active',
        externalAccount,
        scopes: tokens.scopes,
        createdAt: new Date(input.nowMs),
        ...columns,
      },
    });
    await tx.auditEvent.create({
      data: {
        organizationId,
        actorUserId: userId,
        action: 'oauth.connected',
        subjectType: 'oauth_connection',
        subjectId: row.id,
        data: { provider },
      },
    });

    return row.id;
  });
  services.logger.info({ userId, provider, connectionId }, 'OAuth connection stored');

  await signalWaitingSignatures(services, userId, provider);
}

// A signature send that failed because the connection needed the user waits for this signal.

async function signalWaitingSignatures(services: ConnectionServices, userId: string, provider: TOAuthProvider) {
  const proposals = await services.prisma.proposal.findMany({
    where: { repUserId: userId, status: { in: ['approved', 'sent'] } },
    select: { id: true },
  });
  for (const { id } of proposals) {
    const workflowId = signatureWorkflowId(id);
    try {
      await services.temporal.workflow.getHandle(workflowId).signal(oauthReconnectedSignal, { provider });
    } catch (error) {
      // A proposal whose signature workflow has not started or has ended has nothing waiting.
      services.logger.debug({ workflowId, provider, error: (error as Error).name }, 'No waiting signature workflow');
    }
  }
}

/**
 * Deletes the connection at once, then requests revocation of its tokens at the provider. A failed revocation is logged
 * and reported, and never brings the row back.
 */
export async function disconnect(
  services: ConnectionServices,
  principal: { userId: string; organizationId: string },
  provider: TOAuthProvider,
): Promise<{ deleted: boolean; revocation: TRevokeOutcome | 'failed' | 'skipped' }> {
  const { userId } = principal;
  const tokens = await withUserScope(services.prisma, userId, async (tx) => {
    const row = await tx.oAuthConnection.findUnique({ where: { userId_provider: { userId, provider } } });
    if (row === null) return null;
    await tx.oAuthConnection.delete({ where: { id: row.id } });
    await tx.auditEvent.create({
      data: {
        organizationId: row.organizationId,
        actorUserId: userId,
        action: 'oauth.disconnected',
        subjectType: 'oauth_connection',
        subjectId: row.id,
        data: { provider },
      },
    });

    return { connectionId: row.id, plain: readTokens(services.keys, row) };
  });
  if (tokens === null) return { deleted: false, revocation: 'skipped' };
  if (tokens.plain === null) {
    services.logger.warn(
      { userId, provider, connectionId: tokens.connectionId },
      'OAuth tokens unreadable; not revoked',
    );

    return { deleted: true, revocation: 'failed' };
  }

  try {
    const revocation = await services.providers[provider].revoke(tokens.plain);
    services.logger.info(
      { userId, provider, connectionId: tokens.connectionId, revocation },
      'OAuth connection deleted',
    );

    return { deleted: true, revocation };
  } catch (error) {
    services.logger.warn(
      { userId, provider, connectionId: tokens.connectionId, error: (error as Error).message },
      'OAuth token revocation failed; the connection is deleted anyway',
    );

    return { deleted: true, revocation: 'failed' };
  }
}

/** Decrypts a row's tokens for revocation; null when its key is gone, so the row is deleted without revocation. */
function readTokens(
  keys: TokenEncryptionKeys,
  row: {
    userId: string;
    provider: TOAuthProvider;
    keyId: string;
    accessTokenCiphertext: string;
    refreshTokenCiphertext: string | null;
  },
): { accessToken: string; refreshToken: string | null } | null {
  const binding = { userId: row.userId, provider: row.provider };
  try {
    return {
      accessToken: decryptToken(keys, row.keyId, row.accessTokenCiphertext, { ...binding, kind: 'access' }),
      refreshToken:
        row.refreshTokenCiphertext === null
          ? null
          : decryptToken(keys, row.keyId, row.refreshTokenCiphertext, { ...binding, kind: 'refresh' }),
    };
  } catch {
    return null;
  }
}
