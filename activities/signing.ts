import { ApplicationFailure, log } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { appendAuditPage } from '../lib/pdf/audit-page';
import { createSigningToken } from '../lib/signing/tokens';
import { loadApprovedProposal, loadSentDocument, storeDocument } from './documents';
import { type GmailDependencies, sendCoverEmailOnce } from './gmail';
import { changeProposalStatus, type StatusChange } from './proposal-store';
import type { SignatureActivities, TClosingReason, TClosingResult } from './signature-types';

// Built-in signing and the steps every signing path shares: the plan, the proposal's `sent` mark, the
// signed document and the end of the flow. Provider-specific steps are handed in by their modules.

export interface SigningDependencies extends GmailDependencies {
  /** Base of the signing page links, e.g. https://app.example.com; the link is `${base}/sign/<token>`. */
  publicBaseUrl: string;
  signingLinkTtlDays: number;
  providers: Record<
    'docusign' | 'pandadoc',
    {
      storeSignedDocument(proposalId: string): Promise<{ documentId: string; sha256: string }>;
      close(proposalId: string, reason: TClosingReason): Promise<TClosingResult>;
    }
  >;
}

type SigningActivities = Pick<
  SignatureActivities,
  | 'loadSignaturePlan'
  | 'sendBuiltInSigningRequest'
  | 'recordSignatureSent'
  | 'storeSignedDocument'
  | 'closeSentDocument'
  | 'recordSignatureOutcome'
>;

export function createSigningActivities(deps: SigningDependencies): SigningActivities {
  const { prisma } = deps;

  return {
    async loadSignaturePlan({ proposalId }) {
      const proposal = await prisma.proposal.findUnique({ where: { id: proposalId } });
      if (proposal === null) {
        throw ApplicationFailure.nonRetryable(`Proposal ${proposalId} not found`, ErrorCode.NotFound);
      }

      return {
        proposalId,
        organizationId: proposal.organizationId,
        signingPath: proposal.signingPath,
        signingLinkTtlDays: deps.signingLinkTtlDays,
      };
    },

    async sendBuiltInSigningRequest({ proposalId, documentId, expiresAtMs }) {
      const approved = await loadApprovedProposal(prisma, proposalId);
      await sendCoverEmailOnce(deps, approved, async () => {
        // Links minted by earlier attempts were never emailed, so no one has their token.
        await prisma.signingRequest.updateMany({
          where: { proposalId, status: 'pending' },
          data: { status: 'voided' },
        });
        const { token, tokenHash } = createSigningToken();
        await prisma.signingRequest.create({
          data: {
            organizationId: approved.proposal.organizationId,
            proposalId,
            documentId,
            tokenHash,
            signerName: approved.signer.name,
            signerEmail: approved.signer.email,
            expiresAt: new Date(expiresAtMs),
          },
        });

        return builtInCoverEmail(approved, `${deps.publicBaseUrl.replace(/\/$/, '')}/sign/${token}`, expiresAtMs);
      });
      const request = await prisma.signingRequest.findFirstOrThrow({
        where: { proposalId, status: { not: 'voided' } },
        orderBy: { createdAt: 'desc' },
        select: { id: true },
      });
      log.info('Signing link sent', { proposalId, signingRequestId: request.id });

      return { signingRequestId: request.id };
    },

    async recordSignatureSent({ proposalId, documentSha256 }) {
      await moveOpenProposal(prisma, proposalId, { status: 'sent', documentSha256 });
    },

    async storeSignedDocument({ proposalId, path }) {
      if (path !== 'built_in') {
        return deps.providers[path].storeSignedDocument(proposalId);
      }

      return storeBuiltInSignedDocument(prisma, proposalId);
    },

    async closeSentDocument({ proposalId, path, reason }) {
      if (path !== 'built_in') {
        return { result: await deps.providers[path].close(proposalId, reason) };
      }
      await prisma.signingRequest.updateMany({
        where: { proposalId, status: 'pending', usedAt: null },
        data: { status: reason },
      });
      log.info('Signing link closed', { proposalId, reason });

      return { result: 'closed' };
    },

    async recordSignatureOutcome({ proposalId, path, outcome }) {
      if (path === 'built_in' && outcome !== 'signed') {
        await prisma.signingRequest.updateMany({ where: { proposalId, status: 'pending' }, data: { status: outcome } });
      }
      await moveOpenProposal(prisma, proposalId, { status: outcome });
    },
  };
}

/**
 * Moves a proposal that is out for signature (approved or sent) to its next status, with its timeline row.
 * A proposal already closed keeps its status, so a late or repeated call changes nothing.
 */
async function moveOpenProposal(prisma: PrismaClient, proposalId: string, change: StatusChange): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const { status } = await tx.proposal.findUniqueOrThrow({ where: { id: proposalId }, select: { status: true } });
    if (status === 'approved' || status === 'sent') {
      await changeProposalStatus(tx, proposalId, change);
    }
  });
}

async function storeBuiltInSignedDocument(prisma: PrismaClient, proposalId: string) {
  const request = await prisma.signingRequest.findFirst({
    where: { proposalId, status: 'signed' },
    orderBy: { usedAt: 'desc' },
  });
  if (request === null || request.usedAt === null || request.typedName === null) {
    // The signing API signals before its transaction commits, so the row can show up a moment after the signal.
    throw ApplicationFailure.retryable(`Proposal ${proposalId} has no signed signing request yet`, ErrorCode.Conflict);
  }
  const { document } = await loadSentDocument(prisma, proposalId);
  const bytes = await appendAuditPage(document.bytes, {
    typedName: request.typedName,
    signerEmail: request.signerEmail,
    signedAt: request.usedAt,
    ip: request.signerIp ?? 'unknown',
    userAgent: request.signerUserAgent ?? 'unknown',
    originalSha256: document.sha256,
    signingRequestId: request.id,
  });
  const signed = await storeDocument(prisma, {
    organizationId: document.organizationId,
    proposalId,
    kind: 'signed_io',
    version: document.version,
    bytes,
  });
  await prisma.signingRequest.update({ where: { id: request.id }, data: { signedDocumentId: signed.documentId } });
  log.info('Signed IO stored', { proposalId, documentId: signed.documentId });

  return signed;
}

function builtInCoverEmail(
  approved: Awaited<ReturnType<typeof loadApprovedProposal>>,
  link: string,
  expiresAtMs: number,
): { subject: string; text: string } {
  const from = approved.proposal.rep.name ?? approved.proposal.organization.name;

  return {
    subject: `Insertion order to sign: ${approved.content.title}`,
    text: [
      `Hello ${approved.signer.name},`,
      '',
      `${approved.proposal.organization.name} has sent you the insertion order "${approved.content.title}". ` +
        'Read and sign it here:',
      '',
      link,
      '',
      `The link works once and expires on ${new Date(expiresAtMs).toUTCString()}.`,
      '',
      from,
    ].join('\n'),
  };
}
