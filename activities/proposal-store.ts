import { ApplicationFailure } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';
import type { Prisma, PrismaClient } from '../lib/generated/prisma/client';
import type { ProposalStatus } from './types';

// Status changes of a proposal: the row's status and statusChangedAt, and one `proposal.status_changed`
// audit row per change, which is the timeline the rep reads. Writing the status it already has adds no row,
// so a retried activity leaves one timeline entry.

export interface StatusChange {
  status: ProposalStatus;
  blockedReason?: string | null;
  expiresAt?: Date;
  documentSha256?: string;
  approvedVersion?: number;
  rejectionReason?: string;
  actorUserId?: string;
}

export async function changeProposalStatus(
  tx: Prisma.TransactionClient,
  proposalId: string,
  change: StatusChange,
): Promise<void> {
  const proposal = await tx.proposal.findUniqueOrThrow({ where: { id: proposalId } });
  const { status, actorUserId, ...fields } = change;
  const moved = proposal.status !== status;
  await tx.proposal.update({
    where: { id: proposalId },
    data: { ...fields, ...(moved ? { status, statusChangedAt: new Date() } : {}) },
  });
  if (!moved) {
    return;
  }

  await tx.auditEvent.create({
    data: {
      organizationId: proposal.organizationId,
      actorUserId: actorUserId ?? null,
      action: 'proposal.status_changed',
      subjectType: 'proposal',
      subjectId: proposalId,
      data: {
        from: proposal.status,
        to: status,
        ...(change.blockedReason ? { reason: change.blockedReason } : {}),
      },
    },
  });
}

export async function findProposal(prisma: PrismaClient | Prisma.TransactionClient, proposalId: string) {
  const proposal = await prisma.proposal.findUnique({ where: { id: proposalId } });
  if (proposal === null) {
    throw ApplicationFailure.nonRetryable(`Proposal ${proposalId} does not exist`, ErrorCode.NotFound);
  }

  return proposal;
}
