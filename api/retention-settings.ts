import { Router } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { parseOrThrow } from './errors';
import { principalOf } from './auth';

// The company's transcript retention. Every member reads it, and only an admin changes it. A change sets the
// expiry of every stored transcript of the company to its creation time plus the new number of days. The
// setting and the expiries change in one transaction, so the next 03:00 UTC sweep deletes by the new rule.

/** Retention in days, from 1 to 3650 (ten years), a range the product chose. */
const ZRetentionChangeSchema = z.object({ days: z.number().int().min(1).max(3650) }).strict();

// Recomputing a large company's transcripts may take longer than Prisma's 5 s default transaction timeout.
const recomputeTransactionOptions = { maxWait: 10_000, timeout: 60_000 } as const;

export interface RetentionSettingsRouteDeps {
  prisma: PrismaClient;
}

export function retentionSettingsRoutes({ prisma }: RetentionSettingsRouteDeps): Router {
  const router = Router();

  router.get('/', async (request, response) => {
    const { organizationId } = principalOf(request);
    const organization = await prisma.organization.findUnique({
      where: { id: organizationId },
      select: { transcriptRetentionDays: true },
    });
    if (organization === null) {
      throw new AppError(ErrorCode.NotFound, `Organization ${organizationId} not found`);
    }

    response.json({ days: organization.transcriptRetentionDays });
  });

  router.put('/', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const { days } = parseOrThrow(ZRetentionChangeSchema, request.body);
    const result = await prisma.$transaction(
      (tx) => changeRetention(tx, { organizationId: principal.organizationId, userId: principal.userId, days }),
      recomputeTransactionOptions,
    );

    response.json(result);
  });

  return router;
}

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

async function changeRetention(
  tx: Transaction,
  change: { organizationId: string; userId: string; days: number },
): Promise<{ days: number; transcriptsRecomputed: number; transcriptsExpired: number }> {
  const { organizationId, days } = change;
  // The row lock orders concurrent changes, so the last committed setting is the one the expiries follow.
  const locked = await tx.$queryRaw<Array<{ days: number }>>`
    SELECT transcript_retention_days AS days FROM organizations WHERE id = ${organizationId} FOR UPDATE`;
  if (locked.length === 0) {
    throw new AppError(ErrorCode.NotFound, `Organization ${organizationId} not found`);
  }
  await tx.organization.update({ where: { id: organizationId }, data: { transcriptRetentionDays: days } });
  // Days of 24 hours, as the transcript store computes a new transcript's expiry.
  // NOTE: a transcript stored while this transaction runs read the old setting first, so it keeps the old expiry.
  const transcriptsRecomputed = await tx.$executeRaw`
    UPDATE transcripts SET expires_at = created_at + make_interval(hours => ${days}::int * 24)
    WHERE organization_id = ${organizationId}`;
  const transcriptsExpired = await tx.transcript.count({ where: { organizationId, expiresAt: { lte: new Date() } } });
  await tx.auditEvent.create({
    data: {
      organizationId,
      actorUserId: change.userId,
      action: 'settings.retention_changed',
      subjectType: 'organization',
      subjectId: organizationId,
      data: { fromDays: locked[0]!.days, toDays: days, transcriptsRecomputed },
    },
  });

  return { days, transcriptsRecomputed, transcriptsExpired };
}
