import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import {
  type accountDeletion,
  accountDeletionWorkflowId,
  cancelAccountDeletionUpdate,
} from '../workflows/account-deletion';
import { type dataExport, dataExportWorkflowId } from '../workflows/data-export';
import type { Principal } from './auth';
import { parseOrThrow } from './errors';

// The signed-in user's own account: ask for its deletion (and cancel within 30 days), ask for an export
// of all its data and read the export's status. The export itself is downloaded from /exports/<token>,
// a link that only the user's email contains.

export interface AccountRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
}

const deletionGracePeriodMs = 30 * 86_400_000;
const ZExportIdSchema = z.uuid();
// 32 random bytes in base64url.
const ZExportTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export function accountRoutes(deps: AccountRouteDeps): Router {
  const router = Router();

  router.post('/deletion', async (request, response) => {
    const principal = signedIn(request.principal);
    const { deletion, created } = await requestAccountDeletion(deps, principal);

    response.status(created ? 202 : 200).json({ deletion: presentDeletion(deletion) });
  });

  router.get('/deletion', async (request, response) => {
    const principal = signedIn(request.principal);
    const deletion = await deps.prisma.accountDeletionRequest.findFirst({
      where: { userId: principal.userId },
      orderBy: { requestedAt: 'desc' },
    });
    if (deletion === null) {
      throw new AppError(ErrorCode.NotFound, 'No deletion of this account was requested');
    }

    response.json({ deletion: presentDeletion(deletion) });
  });

  router.delete('/deletion', async (request, response) => {
    const principal = signedIn(request.principal);
    const deletion = await cancelAccountDeletion(deps, principal);

    response.json({ deletion: presentDeletion(deletion) });
  });

  router.post('/exports', async (request, response) => {
    const principal = signedIn(request.principal);
    const dataExportRow = await requestDataExport(deps, principal);

    response
      .status(202)
      .location(`/api/account/exports/${dataExportRow.id}`)
      .json({ export: presentExport(dataExportRow) });
  });

  router.get('/exports/:id', async (request, response) => {
    const principal = signedIn(request.principal);
    const id = parseOrThrow(ZExportIdSchema, request.params.id, 'export id');
    const dataExportRow = await deps.prisma.dataExport.findFirst({ where: { id, userId: principal.userId } });
    if (dataExportRow === null) {
      throw new AppError(ErrorCode.NotFound, `Export ${id} not found`);
    }

    response.json({ export: presentExport(dataExportRow) });
  });

  return router;
}

/** `GET /exports/:token`: the archive, for anyone with the emailed link, until the link expires. */
export function exportDownloadRoutes(deps: Pick<AccountRouteDeps, 'prisma'>): Router {
  const router = Router();

  router.get('/:token', async (request, response) => {
    const gone = new AppError(ErrorCode.NotFound, 'This download link is unknown or has expired');
    const parsed = ZExportTokenSchema.safeParse(request.params.token);
    if (!parsed.success) {
      throw gone;
    }
    const tokenHash = createHash('sha256').update(parsed.data).digest('hex');
    const dataExportRow = await deps.prisma.dataExport.findUnique({ where: { tokenHash } });
    // The hash is looked up by index; comparing again in constant time keeps the check honest if that changes.
    const matches =
      dataExportRow?.tokenHash != null && timingSafeEqual(Buffer.from(dataExportRow.tokenHash), Buffer.from(tokenHash));
    const expired = dataExportRow?.expiresAt == null || dataExportRow.expiresAt.getTime() <= Date.now();
    if (!matches || expired || dataExportRow.status !== 'ready' || dataExportRow.archive === null) {
      throw gone;
    }

    response
      .status(200)
      .set({
        'Content-Type': 'application/gzip',
        'Content-Disposition': `attachment; filename="sales-blitz-export-${dataExportRow.id}.json.gz"`,
        'Cache-Control': 'no-store',
      })
      .send(Buffer.from(dataExportRow.archive));
  });

  return router;
}

async function requestAccountDeletion(deps: AccountRouteDeps, principal: Principal) {
  const { prisma, temporal, config } = deps;
  const open = await prisma.accountDeletionRequest.findFirst({
    where: { userId: principal.userId, status: { in: ['waiting', 'deleting'] } },
  });
  if (open !== null) {
    return { deletion: open, created: false };
  }
  const deletion = await prisma.accountDeletionRequest.create({
    data: { userId: principal.userId, deleteAfter: new Date(Date.now() + deletionGracePeriodMs) },
  });
  try {
    await temporal.workflow.start<typeof accountDeletion>('accountDeletion', {
      workflowId: accountDeletionWorkflowId(principal.userId),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ userId: principal.userId, requestId: deletion.id }],
      // A user who cancelled may ask again later; a second request while one runs is refused below.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (error) {
    await prisma.accountDeletionRequest.delete({ where: { id: deletion.id } });
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new AppError(ErrorCode.Conflict, 'A deletion of this account is already running');
    }
    deps.logger.error({ err: error, requestId: deletion.id }, 'Account deletion workflow did not start');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The workflow service is unavailable; retry shortly');
  }
  deps.logger.info({ requestId: deletion.id }, 'Account deletion requested');

  return { deletion, created: true };
}

async function cancelAccountDeletion(deps: AccountRouteDeps, principal: Principal) {
  const waiting = await deps.prisma.accountDeletionRequest.findFirst({
    where: { userId: principal.userId, status: { in: ['waiting', 'deleting'] } },
  });
  if (waiting === null) {
    throw new AppError(ErrorCode.NotFound, 'No pending deletion of this account to cancel');
  }
  try {
    await deps.temporal.workflow
      .getHandle(accountDeletionWorkflowId(principal.userId))
      .executeUpdate(cancelAccountDeletionUpdate, { args: [{ requestedBy: principal.userId }] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError) {
      throw new AppError(ErrorCode.Conflict, 'The deletion has already started and can no longer be cancelled');
    }
    throw error;
  }
  deps.logger.info({ requestId: waiting.id }, 'Account deletion cancelled');

  return deps.prisma.accountDeletionRequest.findUniqueOrThrow({ where: { id: waiting.id } });
}

async function requestDataExport(deps: AccountRouteDeps, principal: Principal) {
  const { prisma, temporal, config } = deps;
  // The export row references the user, who may not have a row yet if they never scheduled a meeting.
  await prisma.user.upsert({ where: { id: principal.userId }, create: { id: principal.userId }, update: {} });
  const dataExportRow = await prisma.dataExport.create({ data: { userId: principal.userId } });
  try {
    await temporal.workflow.start<typeof dataExport>('dataExport', {
      workflowId: dataExportWorkflowId(dataExportRow.id),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ exportId: dataExportRow.id }],
    });
  } catch (error) {
    await prisma.dataExport.delete({ where: { id: dataExportRow.id } });
    deps.logger.error({ err: error, exportId: dataExportRow.id }, 'Data export workflow did not start');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The workflow service is unavailable; retry shortly');
  }
  deps.logger.info({ exportId: dataExportRow.id }, 'Data export requested');

  return dataExportRow;
}

function signedIn(principal: Principal | undefined): Principal {
  if (principal === undefined) {
    throw new AppError(ErrorCode.Unauthenticated, 'Missing bearer token');
  }

  return principal;
}

function presentDeletion(deletion: {
  id: string;
  status: string;
  requestedAt: Date;
  deleteAfter: Date;
  finishedAt: Date | null;
}) {
  return {
    id: deletion.id,
    status: deletion.status,
    requestedAt: deletion.requestedAt,
    deleteAfter: deletion.deleteAfter,
    finishedAt: deletion.finishedAt,
  };
}

function presentExport(dataExportRow: {
  id: string;
  status: string;
  requestedAt: Date;
  expiresAt: Date | null;
  archiveSha256: string | null;
}) {
  return {
    id: dataExportRow.id,
    status: dataExportRow.status,
    requestedAt: dataExportRow.requestedAt,
    linkExpiresAt: dataExportRow.expiresAt,
    archiveSha256: dataExportRow.archiveSha256,
    workflowId: dataExportWorkflowId(dataExportRow.id),
  };
}
