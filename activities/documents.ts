import { ApplicationFailure, log } from '@temporalio/activity';
import { z } from 'zod';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { renderInsertionOrder } from '../lib/pdf/insertion-order';
import { sha256Hex } from '../lib/signing/tokens';

// The IO as a stored PDF. Documents live in the `documents` table with their SHA-256; workflows see only
// the row id and the hash.

const ZVersionContentSchema = z.object({
  title: z.string(),
  summary: z.string().default(''),
  lineItems: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      unit: z.string(),
      quantity: z.number(),
      unitPriceMinor: z.number().int(),
      totalMinor: z.number().int(),
    }),
  ),
  subtotalMinor: z.number().int(),
  totalMinor: z.number().int(),
  currency: z.string(),
  terms: z.string().default(''),
});

export type TVersionContent = z.infer<typeof ZVersionContentSchema>;

/** The approved proposal with everything a signer and a cover email need; refuses a proposal not approved. */
export async function loadApprovedProposal(prisma: PrismaClient, proposalId: string) {
  const proposal = await prisma.proposal.findUnique({
    where: { id: proposalId },
    include: { organization: true, prospect: true, rep: true },
  });
  if (proposal === null || proposal.approvedVersion === null) {
    throw ApplicationFailure.nonRetryable(`Proposal ${proposalId} has no approved version`, ErrorCode.NotFound);
  }
  const version = await prisma.proposalVersion.findUniqueOrThrow({
    where: { proposalId_version: { proposalId, version: proposal.approvedVersion } },
  });
  const signerEmail = proposal.signerEmail ?? proposal.prospect?.email ?? null;
  if (signerEmail === null) {
    throw ApplicationFailure.nonRetryable(`Proposal ${proposalId} has no signer email`, ErrorCode.InvalidRequest);
  }

  return {
    proposal,
    version,
    content: ZVersionContentSchema.parse(version.content),
    signer: { name: proposal.signerName ?? proposal.prospect?.name ?? signerEmail, email: signerEmail },
  };
}

export type TApprovedProposal = Awaited<ReturnType<typeof loadApprovedProposal>>;

export function createDocumentActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    async renderInsertionOrderDocument({ proposalId }: { proposalId: string }) {
      const { proposal, version, content, signer } = await loadApprovedProposal(prisma, proposalId);
      const stored = await prisma.document.findUnique({
        where: { proposalId_kind_version: { proposalId, kind: 'io', version: version.version } },
        select: { id: true, sha256: true },
      });
      if (stored !== null) {
        return { documentId: stored.id, sha256: stored.sha256 };
      }

      const bytes = await renderInsertionOrder({
        proposalId,
        title: content.title,
        summary: content.summary,
        organizationName: proposal.organization.name,
        prospect: {
          name: proposal.prospect?.name ?? signer.name,
          company: proposal.prospect?.company ?? null,
          email: proposal.prospect?.email ?? null,
        },
        signer,
        lineItems: content.lineItems,
        subtotalMinor: content.subtotalMinor,
        totalMinor: content.totalMinor,
        currency: content.currency,
        terms: content.terms,
        version: version.version,
        contentHash: version.contentHash,
        versionCreatedAt: version.createdAt,
      });
      const document = await storeDocument(prisma, {
        organizationId: proposal.organizationId,
        proposalId,
        kind: 'io',
        version: version.version,
        bytes,
      });
      log.info('IO document rendered', { proposalId, documentId: document.documentId, version: version.version });

      return document;
    },
  };
}

/** Stores a PDF once per proposal, kind and version; a concurrent or repeated store returns the first row. */
export async function storeDocument(
  prisma: PrismaClient,
  input: { organizationId: string; proposalId: string; kind: 'io' | 'signed_io'; version: number; bytes: Uint8Array },
): Promise<{ documentId: string; sha256: string }> {
  const sha256 = sha256Hex(input.bytes);
  const row = await prisma.document.upsert({
    where: { proposalId_kind_version: { proposalId: input.proposalId, kind: input.kind, version: input.version } },
    create: {
      organizationId: input.organizationId,
      proposalId: input.proposalId,
      kind: input.kind,
      version: input.version,
      sha256,
      bytes: Buffer.from(input.bytes),
    },
    update: {},
    select: { id: true, sha256: true },
  });

  return { documentId: row.id, sha256: row.sha256 };
}

/** The stored `io` document of the approved version. */
export async function loadSentDocument(prisma: PrismaClient, proposalId: string) {
  const proposal = await prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
  const document = await prisma.document.findUniqueOrThrow({
    where: { proposalId_kind_version: { proposalId, kind: 'io', version: proposal.approvedVersion ?? 0 } },
  });

  return { proposal, document };
}
