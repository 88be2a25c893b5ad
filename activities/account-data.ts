import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Context, log } from '@temporalio/activity';
import { deleteAccountRows, readAccountRows, withAccountTransaction } from '../lib/account-data/queries';
import type { ConnectionRevoker } from '../lib/account-data/oauth-revocation';
import { ownedMeetings } from '../lib/account-data/table-map';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { revokeAndDeleteConnections } from './account-connections';
import { withHeartbeats } from './provider-failure';
import type { EmailMessage } from './resend';
import type { AccountDeletionActivities, DataExportActivities } from './retention-types';
import { sendPendingDeletions, type SubprocessorClients } from './subprocessor-deletion';

// Account deletion and data export. Both find the account's rows through the one table map in
// lib/account-data, so whatever an export contains is what a deletion removes.

/** How long an export's download link works. */
export const exportLinkLifetimeMs = 7 * 86_400_000;

export interface AccountDataDependencies extends SubprocessorClients {
  prisma: PrismaClient;
  /** Base URL of the API, e.g. https://app.example.com; download links are `${base}/exports/<token>`. */
  publicBaseUrl: string;
  sendEmail(message: EmailMessage): Promise<{ emailId: string }>;
  /** Revokes one connection's grant at its provider before the connection is deleted. */
  revokeConnection: ConnectionRevoker;
}

export function createAccountDataActivities(
  deps: AccountDataDependencies,
): AccountDeletionActivities & DataExportActivities {
  const { prisma } = deps;
  const heartbeat = () => Context.current().heartbeat();

  return {
    async markAccountDeletionStarted({ requestId }) {
      await prisma.accountDeletionRequest.updateMany({
        where: { id: requestId, status: 'waiting' },
        data: { status: 'deleting' },
      });
      const request = await prisma.accountDeletionRequest.findUnique({ where: { id: requestId } });

      return { proceed: request?.status === 'deleting' };
    },

    async markAccountDeletionCancelled({ requestId }) {
      await prisma.accountDeletionRequest.updateMany({
        where: { id: requestId, status: 'waiting' },
        data: { status: 'cancelled', finishedAt: new Date() },
      });
    },

    async revokeAccountConnections({ userId }) {
      return revokeAndDeleteConnections(prisma, deps.revokeConnection, userId);
    },

    async deleteAccountSubprocessorCopies({ userId }) {
      // Receipts carry no company id, so they outlive the company's rows and stay pending until confirmed.
      const externalIds = await withAccountTransaction(prisma, userId, async (tx, scope) => {
        const rows = await tx.$queryRawUnsafe<Array<{ provider: string; external_id: string }>>(
          `INSERT INTO subprocessor_deletions (id, organization_id, provider, external_id, reason)
           SELECT gen_random_uuid(), NULL, 'recall', bot_id, 'account_deletion' FROM meetings
             WHERE bot_id IS NOT NULL AND id IN (${ownedMeetings})
           UNION ALL
           SELECT gen_random_uuid(), NULL, 'assemblyai', audio_transcript_id, 'account_deletion' FROM call_intelligence
             WHERE audio_transcript_id IS NOT NULL AND meeting_id IN (${ownedMeetings})
           ON CONFLICT (provider, external_id) DO UPDATE SET organization_id = NULL
           RETURNING provider, external_id`,
          scope.userId,
          scope.soleCompanyIds,
        );

        return rows.map((row) => row.external_id);
      });

      return sendPendingDeletions(prisma, deps, { externalId: { in: externalIds } });
    },

    async deleteAccountData({ userId, requestId, subprocessors, connectionsRevoked }) {
      return withHeartbeats(heartbeat, () =>
        withAccountTransaction(prisma, userId, async (tx, scope) => {
          // A retry after a committed deletion finds no request row and must not write a second audit record.
          const request = await tx.accountDeletionRequest.findUnique({ where: { id: requestId } });
          if (request?.status !== 'deleting') {
            return { auditId: null, rows: 0 };
          }
          const tables = await deleteAccountRows(tx, scope);
          const audit = await tx.auditEvent.create({
            data: {
              action: 'account.deleted',
              subjectType: 'account_deletion',
              // A fresh id, unrelated to the user or the request, so the record cannot be traced back.
              subjectId: randomUUID(),
              data: { tables, subprocessors, connectionsRevoked, companiesDeleted: scope.soleCompanyIds.length },
            },
          });
          const rows = Object.values(tables).reduce((sum, count) => sum + count, 0);
          log.info('Account data deleted', { auditId: audit.id, rows });

          return { auditId: audit.id, rows };
        }),
      );
    },

    async buildAccountArchive({ exportId }) {
      const exportRow = await prisma.dataExport.findUniqueOrThrow({ where: { id: exportId } });
      const tables = await withHeartbeats(heartbeat, () =>
        withAccountTransaction(prisma, exportRow.userId, (tx, scope) => readAccountRows(tx, scope)),
      );
      const document = { format: 'sales-blitz-account-export/1', exportedAt: new Date().toISOString(), tables };
      const archive = gzipSync(Buffer.from(JSON.stringify(document), 'utf8'));
      await prisma.dataExport.update({
        where: { id: exportId },
        data: { archive, archiveSha256: createHash('sha256').update(archive).digest('hex') },
      });
      const rows = Object.values(tables).reduce((sum, list) => sum + list.length, 0);

      return { tables: Object.keys(tables).length, rows, bytes: archive.length };
    },

    async publishAccountArchive({ exportId, idempotencyKey }) {
      const exportRow = await prisma.dataExport.findUniqueOrThrow({
        where: { id: exportId },
        select: { user: { select: { email: true } } },
      });
      // The token exists only in the email; the row keeps its SHA-256. A retry issues a fresh token, so only the
      // newest link works.
      // NOTE: a worker lost after Resend accepted the email but before this activity completed sends a second
      // email on retry, and the first email's link stops working.
      const token = randomBytes(32).toString('base64url');
      const tokenHash = createHash('sha256').update(token).digest('hex');
      const expiresAt = new Date(Date.now() + exportLinkLifetimeMs);
      await prisma.dataExport.update({ where: { id: exportId }, data: { tokenHash, expiresAt, status: 'ready' } });

      const to = exportRow.user.email;
      if (to === null) {
        log.warn('Data export ready but the user has no email address to send its link to', { exportId });
        return { emailed: false };
      }
      await deps.sendEmail({
        to,
        subject: 'Your Sales Blitz data export is ready',
        text: [
          'The export of your Sales Blitz account data is ready.',
          `Download it (gzip-compressed JSON) from ${deps.publicBaseUrl}/exports/${token}`,
          `The link works until ${expiresAt.toISOString()}.`,
        ].join('\n\n'),
        idempotencyKey: `${idempotencyKey}:${tokenHash.slice(0, 16)}`,
      });

      return { emailed: true };
    },

    async markExportFailed({ exportId }) {
      await prisma.dataExport.update({ where: { id: exportId }, data: { status: 'failed' } });
    },
  };
}
