import { ApplicationFailure, log } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';
import type { Prisma, PrismaClient } from '../lib/generated/prisma/client';
import type { TProposalContent } from '../lib/proposals/content';
import { contentHash } from '../lib/proposals/hash';
import { priceLineItems } from '../lib/proposals/pricing';
import { changeProposalStatus, findProposal } from './proposal-store';
import type { EmailMessage } from './resend';
import type { ProposalActivities, ProposalChanges } from './types';

// What a rep's decisions leave in the database. Each is keyed by its Temporal update id (unique in
// proposal_decisions), so a retried activity or a retried update records one decision.

export interface ProposalDecisionOptions {
  prisma: PrismaClient;
  sendEmail: (message: EmailMessage) => Promise<{ emailId: string }>;
  appBaseUrl: string;
}

type DecisionActivities = Pick<
  ProposalActivities,
  'recordProposalDecision' | 'storeProposalEdit' | 'sendProposalReminder'
>;

export function createProposalDecisionActivities(options: ProposalDecisionOptions): DecisionActivities {
  const { prisma } = options;

  return {
    async recordProposalDecision({ proposalId, updateId, kind, version, actorUserId, reason }) {
      return prisma.$transaction(async (tx) => {
        const earlier = await tx.proposalDecision.findUnique({ where: { updateId } });
        if (earlier !== null) {
          return { contentHash: earlier.contentHash };
        }
        const decided = await tx.proposalVersion.findUniqueOrThrow({
          where: { proposalId_version: { proposalId, version } },
        });
        await tx.proposalDecision.create({
          data: {
            proposalId,
            kind,
            version,
            contentHash: decided.contentHash,
            reason: reason ?? null,
            actorUserId,
            updateId,
          },
        });
        await changeProposalStatus(
          tx,
          proposalId,
          kind === 'approve'
            ? { status: 'approved', approvedVersion: version, actorUserId }
            : { status: 'rejected', rejectionReason: reason ?? '', actorUserId },
        );

        return { contentHash: decided.contentHash };
      });
    },

    async storeProposalEdit({ proposalId, updateId, actorUserId, baseVersion, changes }) {
      return prisma.$transaction(async (tx) => {
        const earlier = await tx.proposalDecision.findUnique({ where: { updateId } });
        if (earlier !== null) {
          return { version: earlier.version, contentHash: earlier.contentHash };
        }
        const proposal = await findProposal(tx, proposalId);
        const base = await tx.proposalVersion.findUniqueOrThrow({
          where: { proposalId_version: { proposalId, version: baseVersion } },
        });
        const content = await applyChanges(tx, proposal.organizationId, base.content as TProposalContent, changes);
        const version = proposal.latestVersion + 1;
        const hash = contentHash(content);
        await tx.proposalVersion.create({
          data: { proposalId, version, content, contentHash: hash, createdById: actorUserId },
        });
        await tx.proposalDecision.create({
          data: { proposalId, kind: 'edit', version, contentHash: hash, actorUserId, updateId },
        });
        await tx.proposal.update({
          where: { id: proposalId },
          data: {
            latestVersion: version,
            ...(changes.signer ? { signerName: changes.signer.name, signerEmail: changes.signer.email } : {}),
          },
        });

        return { version, contentHash: hash };
      });
    },

    async sendProposalReminder({ proposalId, reminderNumber }) {
      const proposal = await prisma.proposal.findUniqueOrThrow({
        where: { id: proposalId },
        include: { rep: { select: { email: true } } },
      });
      if (proposal.rep.email === null) {
        log.warn('Proposal reminder not sent: the rep has no email address', { proposalId, reminderNumber });

        return { emailId: null };
      }
      const link = `${options.appBaseUrl.replace(/\/$/, '')}/proposals/${proposalId}`;
      const { emailId } = await options.sendEmail({
        to: proposal.rep.email,
        subject: 'A proposal awaits your decision',
        text: [
          'A proposal generated from one of your calls is still waiting for your approval or rejection.',
          `Open it here: ${link}`,
          proposal.expiresAt ? `It expires at ${proposal.expiresAt.toISOString()}.` : '',
        ]
          .filter((line) => line !== '')
          .join('\n\n'),
        idempotencyKey: `proposal-${proposalId}-reminder-${reminderNumber}`,
      });

      return { emailId };
    },
  };
}

/** Applies a rep's changes to the base content; new line items are priced from the active price book only. */
async function applyChanges(
  tx: Prisma.TransactionClient,
  organizationId: string,
  base: TProposalContent,
  changes: ProposalChanges,
): Promise<TProposalContent> {
  const content: TProposalContent = {
    ...base,
    ...(changes.title === undefined ? {} : { title: changes.title }),
    ...(changes.summary === undefined ? {} : { summary: changes.summary }),
    ...(changes.terms === undefined ? {} : { terms: changes.terms }),
  };
  if (changes.lineItems === undefined) {
    return content;
  }

  const items = await tx.priceBookItem.findMany({ where: { organizationId, active: true } });
  const priced = priceLineItems(changes.lineItems, items);
  if (priced.droppedItemIds.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `Items ${priced.droppedItemIds.join(', ')} are not active in the price book`,
      ErrorCode.InvalidRequest,
    );
  }

  return {
    ...content,
    lineItems: priced.lineItems,
    subtotalMinor: priced.subtotalMinor,
    totalMinor: priced.totalMinor,
  };
}
