import { randomUUID } from 'node:crypto';
import {
  ActivityFailure,
  ApplicationFailure,
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode, type TErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { missingConsent } from '../lib/proposals/consent';
import { type TProposalContent, ZProposalChangesSchema } from '../lib/proposals/content';
import {
  approveProposalUpdate,
  editProposalUpdate,
  proposalWorkflowId,
  rejectProposalUpdate,
} from '../workflows/proposal';
import { signatureWorkflowId } from '../workflows/e-signature';
import { parseOrThrow } from './errors';
import { principalOf } from './auth';

// A rep's proposals: the inbox, one proposal with its version, decisions and timeline, and the decisions
// themselves, which go to the proposal workflow as Updates. A database check rejects the common cases
// first (other company, wrong state, stale version), and the workflow's validators have the last word.

const ZStatusFilterSchema = z.object({
  status: z
    .enum([
      'generating',
      'blocked',
      'awaiting_decision',
      'approved',
      'rejected',
      'expired',
      'sent',
      'signed',
      'declined',
      'voided',
      'failed',
    ])
    .optional(),
});
const ZVersionSchema = z.number().int().min(1);
const ZApproveSchema = z.object({ version: ZVersionSchema }).strict();
const ZRejectSchema = z.object({ version: ZVersionSchema, reason: z.string().trim().min(1).max(2000) }).strict();
const ZEditSchema = z.object({ baseVersion: ZVersionSchema, changes: ZProposalChangesSchema }).strict();

export interface ProposalRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
}

export function proposalRoutes(deps: ProposalRouteDeps): Router {
  const router = Router();
  const { prisma } = deps;

  router.get('/', async (request, response) => {
    const { organizationId } = principalOf(request);
    const { status } = parseOrThrow(ZStatusFilterSchema, request.query, 'query');
    const proposals = await prisma.proposal.findMany({
      where: { organizationId, ...(status ? { status } : {}) },
      orderBy: { createdAt: 'desc' },
      take: 200,
      include: { prospect: true, versions: { orderBy: { version: 'desc' }, take: 1 } },
    });

    response.json({
      proposals: proposals.map((row) => {
        const content = row.versions[0]?.content as TProposalContent | undefined;

        return {
          id: row.id,
          meetingId: row.meetingId,
          status: row.status,
          title: content?.title ?? null,
          prospect: row.prospect ? { name: row.prospect.name, company: row.prospect.company } : null,
          totalMinor: content?.totalMinor ?? null,
          currency: content?.currency ?? null,
          latestVersion: row.latestVersion,
          createdAt: row.createdAt,
          expiresAt: row.expiresAt,
        };
      }),
    });
  });

  router.get('/:id', async (request, response) => {
    const principal = principalOf(request);
    const proposal = await findProposal(prisma, principal.organizationId, request.params.id);
    response.json(await presentProposal(deps, proposal.id));
  });

  router.post('/:id/versions', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const body = parseOrThrow(ZEditSchema, request.body);
    const proposal = await findProposal(prisma, principal.organizationId, request.params.id);
    refuseUnlessOpen(proposal, body.baseVersion);
    await refuseUnknownItems(prisma, proposal.organizationId, body.changes.lineItems);
    // A fresh id per request: two different edits on one base must not be merged into one update.
    const edited = await runUpdate(deps, proposal.id, () =>
      deps.temporal.workflow.getHandle(proposalWorkflowId(proposal.id)).executeUpdate(editProposalUpdate, {
        args: [{ actorUserId: principal.userId, baseVersion: body.baseVersion, changes: body.changes }],
        updateId: `edit-${proposal.id}-v${body.baseVersion}-${randomUUID()}`,
      }),
    );

    response.status(201).json(edited);
  });

  router.post('/:id/approve', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const { version } = parseOrThrow(ZApproveSchema, request.body);
    const proposal = await findProposal(prisma, principal.organizationId, request.params.id);
    const updateId = `approve-${proposal.id}-v${version}`;
    // A repeated approval returns the decision already recorded, even after the workflow has moved on.
    const earlier = await prisma.proposalDecision.findUnique({ where: { updateId } });
    if (earlier !== null) {
      response.json({ status: 'approved', version: earlier.version, contentHash: earlier.contentHash });

      return;
    }
    refuseUnlessOpen(proposal, version);
    const missing = await missingConsent(prisma, proposal.organizationId);
    if (missing.length > 0) {
      throw new AppError(
        ErrorCode.ConsentMissing,
        `Cannot approve: the company admin has not given consent for ${missing.join(', ')}`,
      );
    }
    const result = await runUpdate(deps, proposal.id, () =>
      deps.temporal.workflow.getHandle(proposalWorkflowId(proposal.id)).executeUpdate(approveProposalUpdate, {
        args: [{ actorUserId: principal.userId, version }],
        updateId,
      }),
    );

    response.json(result);
  });

  router.post('/:id/reject', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const { version, reason } = parseOrThrow(ZRejectSchema, request.body);
    const proposal = await findProposal(prisma, principal.organizationId, request.params.id);
    const updateId = `reject-${proposal.id}-v${version}`;
    const earlier = await prisma.proposalDecision.findUnique({ where: { updateId } });
    if (earlier !== null) {
      response.json({ status: 'rejected', version: earlier.version, contentHash: earlier.contentHash });

      return;
    }
    refuseUnlessOpen(proposal, version);
    const result = await runUpdate(deps, proposal.id, () =>
      deps.temporal.workflow.getHandle(proposalWorkflowId(proposal.id)).executeUpdate(rejectProposalUpdate, {
        args: [{ actorUserId: principal.userId, version, reason }],
        updateId,
      }),
    );

    response.json(result);
  });

  return router;
}

async function findProposal(prisma: PrismaClient, organizationId: string, id: string | undefined) {
  const parsed = z.uuid().safeParse(id);
  const proposal = parsed.success
    ? await prisma.proposal.findFirst({ where: { id: parsed.data, organizationId } })
    : null;
  if (proposal === null) {
    throw new AppError(ErrorCode.NotFound, `Proposal ${id ?? ''} not found`);
  }

  return proposal;
}

/** Refuses a decision the workflow would refuse anyway, with the same codes, without a round trip. */
function refuseUnlessOpen(proposal: { status: string; latestVersion: number }, version: number): void {
  if (proposal.status === 'expired') {
    throw new AppError(ErrorCode.ProposalExpired, 'The proposal has expired; no decision can be made on it');
  }
  if (proposal.status !== 'awaiting_decision') {
    throw new AppError(ErrorCode.InvalidState, `The proposal is ${proposal.status}, not awaiting a decision`);
  }
  if (version !== proposal.latestVersion) {
    throw new AppError(
      ErrorCode.StaleVersion,
      `Version ${version} is not the latest; reload the proposal and decide on version ${proposal.latestVersion}`,
    );
  }
}

async function refuseUnknownItems(
  prisma: PrismaClient,
  organizationId: string,
  lineItems: Array<{ itemId: string }> | undefined,
): Promise<void> {
  if (lineItems === undefined) return;
  const ids = [...new Set(lineItems.map((line) => line.itemId))];
  const valid = ids.filter((id) => z.uuid().safeParse(id).success);
  const found = await prisma.priceBookItem.findMany({
    where: { organizationId, active: true, id: { in: valid } },
    select: { id: true },
  });
  const unknown = ids.filter((id) => !found.some((item) => item.id === id));
  if (unknown.length > 0) {
    throw new AppError(ErrorCode.InvalidRequest, `Items ${unknown.join(', ')} are not active in the price book`);
  }
}

const refusalCodes: Record<string, TErrorCode> = {
  forbidden: ErrorCode.Forbidden,
  invalid_state: ErrorCode.InvalidState,
  stale_version: ErrorCode.StaleVersion,
  proposal_expired: ErrorCode.ProposalExpired,
  invalid_request: ErrorCode.InvalidRequest,
};

/** Runs an update and turns a validator's or handler's refusal into the AppError with the same code. */
async function runUpdate<T>(deps: ProposalRouteDeps, proposalId: string, update: () => Promise<T>): Promise<T> {
  try {
    return await update();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new AppError(ErrorCode.InvalidState, 'The proposal is no longer waiting for a decision');
    }
    if (!(error instanceof WorkflowUpdateFailedError)) {
      throw error;
    }
    const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
    const code = cause instanceof ApplicationFailure && cause.type ? refusalCodes[cause.type] : undefined;
    if (code === undefined) {
      deps.logger.error({ err: error, proposalId }, 'Proposal update failed');
      throw error;
    }

    throw new AppError(
      code,
      cause instanceof ApplicationFailure ? cause.message : 'The workflow rejected the decision',
    );
  }
}

async function presentProposal(deps: ProposalRouteDeps, proposalId: string) {
  const { prisma, config } = deps;
  const proposal = await prisma.proposal.findUniqueOrThrow({
    where: { id: proposalId },
    include: {
      versions: { orderBy: { version: 'desc' }, take: 1 },
      decisions: { orderBy: { createdAt: 'asc' } },
    },
  });
  const changes = await prisma.auditEvent.findMany({
    where: { subjectType: 'proposal', subjectId: proposalId, action: 'proposal.status_changed' },
    orderBy: { createdAt: 'asc' },
  });
  const actorIds = [...new Set([...proposal.decisions.map((decision) => decision.actorUserId)])];
  const actors = await prisma.user.findMany({ where: { id: { in: actorIds } }, select: { id: true, name: true } });
  const actor = (id: string) => actors.find((user) => user.id === id) ?? { id, name: null };
  const latest = proposal.versions[0];
  const web = config.TEMPORAL_WEB_URL.replace(/\/$/, '');
  const namespace = encodeURIComponent(config.TEMPORAL_NAMESPACE);

  return {
    id: proposal.id,
    status: proposal.status,
    blockedReason: proposal.blockedReason,
    signingPath: proposal.signingPath,
    latestVersion: proposal.latestVersion,
    approvedVersion: proposal.approvedVersion,
    rejectionReason: proposal.rejectionReason,
    expiresAt: proposal.expiresAt,
    documentSha256: proposal.documentSha256,
    signer: { name: proposal.signerName, email: proposal.signerEmail },
    meetingId: proposal.meetingId,
    version: latest
      ? {
          version: latest.version,
          contentHash: latest.contentHash,
          content: latest.content,
          createdAt: latest.createdAt,
          createdBy: latest.createdById,
        }
      : null,
    decisions: proposal.decisions.map((decision) => ({
      kind: decision.kind,
      version: decision.version,
      contentHash: decision.contentHash,
      reason: decision.reason,
      actor: actor(decision.actorUserId),
      at: decision.createdAt,
    })),
    timeline: [
      { status: 'generating', at: proposal.createdAt },
      ...changes.map((change) => ({ status: (change.data as { to?: string }).to, at: change.createdAt })),
    ],
    temporal: {
      proposalUrl: `${web}/namespaces/${namespace}/workflows/${encodeURIComponent(proposalWorkflowId(proposalId))}`,
      // The signature workflow starts only after an approval, so there is nothing to link before one.
      signatureUrl:
        proposal.approvedVersion === null
          ? null
          : `${web}/namespaces/${namespace}/workflows/${encodeURIComponent(signatureWorkflowId(proposalId))}`,
    },
  };
}
