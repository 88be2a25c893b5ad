import type { Client } from '@temporalio/client';
import express, { type Request, Router } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { z } from 'zod';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { hashSigningToken, isSigningTokenShape } from '../lib/signing/tokens';
import { signatureEventSignal, signatureWorkflowId } from '../workflows/e-signature';
import { parseOrThrow } from './errors';

// The built-in signing page's API. The token in the path is the only credential: it is hashed at once and
// never logged. A used link returns 410 signing_link_used, an expired one 410 signing_link_expired, and an
// unknown, altered or replaced one 404.

export interface SigningRouteDeps {
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  perMinute: number;
}

const ZSignBodySchema = z.object({
  typedName: z.string().trim().min(1, 'type your full name').max(200),
  agree: z.literal(true, { error: 'agree must be true to sign' }),
});

export function signingRoutes(deps: SigningRouteDeps): Router {
  const router = Router();
  router.use(
    rateLimit({
      windowMs: 60_000,
      limit: deps.perMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (request) => `signing:${ipKeyGenerator(request.ip ?? 'unknown')}`,
      message: {
        error: {
          code: ErrorCode.RateLimited,
          message: `More than ${deps.perMinute} signing requests a minute from this address`,
        },
      },
    }),
  );

  router.get('/:token', async (request, response) => {
    const signing = await openSigningRequest(deps.prisma, request);
    const proposal = await deps.prisma.proposal.findUniqueOrThrow({
      where: { id: signing.proposalId },
      include: { organization: { select: { name: true } }, documents: { where: { id: signing.documentId } } },
    });
    const version = await deps.prisma.proposalVersion.findFirst({
      where: { proposalId: proposal.id, version: proposal.approvedVersion ?? 0 },
      select: { content: true },
    });
    response.setHeader('Cache-Control', 'no-store');
    response.json({
      proposalTitle: (version?.content as { title?: string } | null)?.title ?? '',
      organizationName: proposal.organization.name,
      signerName: signing.signerName,
      documentSha256: proposal.documents[0]?.sha256 ?? null,
      expiresAt: signing.expiresAt.toISOString(),
      status: signing.status,
    });
  });

  router.get('/:token/document.pdf', async (request, response) => {
    const signing = await openSigningRequest(deps.prisma, request);
    const document = await deps.prisma.document.findUniqueOrThrow({ where: { id: signing.documentId } });
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Disposition', 'inline; filename="insertion-order.pdf"');
    response.type('application/pdf').send(Buffer.from(document.bytes));
  });

  router.post('/:token', express.json({ limit: '10kb' }), async (request, response) => {
    const body = parseOrThrow(ZSignBodySchema, request.body);
    const signing = await openSigningRequest(deps.prisma, request);
    const signedAt = new Date();
    const document = await deps.prisma.$transaction(async (transaction) => {
      // The WHERE clause makes the link single-use even when two submissions race.
      const claimed = await transaction.signingRequest.updateMany({
        where: { id: signing.id, usedAt: null, status: 'pending', expiresAt: { gt: signedAt } },
        data: {
          usedAt: signedAt,
          status: 'signed',
          typedName: body.typedName,
          signerIp: request.ip ?? 'unknown',
          signerUserAgent: (request.get('user-agent') ?? 'unknown').slice(0, 500),
        },
      });
      if (claimed.count === 0) {
        throw new AppError(ErrorCode.SigningLinkUsed, 'This signing link has already been used');
      }
      await transaction.auditEvent.create({
        data: {
          organizationId: signing.organizationId,
          action: 'io.signed',
          subjectType: 'signing_request',
          subjectId: signing.id,
          data: { proposalId: signing.proposalId, signedAt: signedAt.toISOString() },
        },
      });
      // Signalled inside the transaction: if the signal fails, the link stays unused and can be retried.
      await deps.temporal.workflow.getHandle(signatureWorkflowId(signing.proposalId)).signal(signatureEventSignal, {
        source: 'built_in',
        status: 'signed',
        eventId: `signing-request-${signing.id}`,
        occurredAtMs: signedAt.getTime(),
      });

      return transaction.document.findUniqueOrThrow({ where: { id: signing.documentId }, select: { sha256: true } });
    });
    deps.logger.info({ proposalId: signing.proposalId, signingRequestId: signing.id }, 'IO signed on the signing page');
    response.json({ status: 'signed', documentSha256: document.sha256 });
  });

  return router;
}

/** Finds the pending request behind the token in the path, or throws the refusal the signer should see. */
async function openSigningRequest(prisma: PrismaClient, request: Request) {
  const token = String(request.params.token ?? '');
  const signing = isSigningTokenShape(token)
    ? await prisma.signingRequest.findUnique({ where: { tokenHash: hashSigningToken(token) } })
    : null;
  if (signing === null || signing.status === 'voided' || signing.status === 'declined') {
    throw new AppError(ErrorCode.NotFound, 'No signing link matches this address; ask the sender for a new one');
  }
  if (signing.usedAt !== null || signing.status === 'signed') {
    throw new AppError(ErrorCode.SigningLinkUsed, 'This signing link has already been used');
  }
  if (signing.status === 'expired' || signing.expiresAt.getTime() <= Date.now()) {
    throw new AppError(ErrorCode.SigningLinkExpired, 'This signing link has expired; ask the sender for a new one');
  }

  return signing;
}
