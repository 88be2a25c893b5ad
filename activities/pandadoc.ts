import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { OAuthTokenVault } from '../lib/oauth/token-vault';
import { loadApprovedProposal, loadSentDocument, storeDocument } from './documents';
import { providerAccessToken } from './oauth-access';
import { providerFailure } from './provider-failure';
import type { TClosingReason, TClosingResult } from './signature-types';

// PandaDoc public API v1 over fetch, as the rep with their OAuth access token: upload the IO as a document,
// wait until PandaDoc has processed it (`document.draft`), send it, and later void or download it.
// Status changes arrive by webhook.

export interface PandadocDependencies {
  prisma: PrismaClient;
  oauthVault: OAuthTokenVault | undefined;
  /** API base, https://api.pandadoc.com or the sandbox's /pandadoc. */
  pandadocBaseUrl: string;
  /** Milliseconds between status reads while an upload is processed; PandaDoc documents 3 to 5 s. */
  draftPollIntervalMs?: number;
}

/** PandaDoc's status code for `document.voided` in PATCH /documents/{id}/status. */
const voidedStatusCode = 11;
const metadataKey = 'sales_blitz_proposal_id';
/** PandaDoc statuses after which a document can no longer be voided, with the end each one means. */
const finalStatuses: Record<string, Exclude<TClosingResult, 'closed'>> = {
  'document.completed': 'signed',
  'document.declined': 'declined',
  'document.voided': 'voided',
};

const ZDocumentSchema = z.object({ id: z.string(), status: z.string() });
const ZDocumentListSchema = z.object({ results: z.array(ZDocumentSchema).default([]) });

export function createPandadocActivities(deps: PandadocDependencies) {
  const { prisma } = deps;

  async function request(userId: string, method: string, path: string, body?: BodyInit, json = true) {
    const { accessToken } = await providerAccessToken(deps.oauthVault, userId, 'pandadoc');
    const response = await fetch(`${deps.pandadocBaseUrl.replace(/\/$/, '')}/public/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${accessToken}`,
        ...(typeof body === 'string' ? { 'Content-Type': 'application/json' } : {}),
      },
      body,
      signal: AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(30_000)]),
    });
    if (!response.ok) {
      throw providerFailure(
        'pandadoc',
        response.status,
        `${method} ${path.replace(/\/[A-Za-z0-9]{16,}/g, '/:id')} failed`,
      );
    }

    return json ? ((await response.json()) as unknown) : Buffer.from(await response.arrayBuffer());
  }

  async function waitForDraft(userId: string, pandadocId: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { status } = ZDocumentSchema.parse(await request(userId, 'GET', `/documents/${pandadocId}`));
      if (status !== 'document.uploaded') {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`PandaDoc document ${pandadocId} is still being processed after 60 s`);
      }
      Context.current().heartbeat();
      await new Promise((resolve) => setTimeout(resolve, deps.draftPollIntervalMs ?? 1_000));
    }
  }

  async function recordedDocument(proposalId: string) {
    return prisma.envelope.findUniqueOrThrow({
      where: { proposalId_provider: { proposalId, provider: 'pandadoc' } },
      include: { proposal: { select: { repUserId: true } } },
    });
  }

  return {
    async createPandadocDocument({ proposalId, documentId }: { proposalId: string; documentId: string }) {
      const approved = await loadApprovedProposal(prisma, proposalId);
      const userId = approved.proposal.repUserId;
      const recorded = await prisma.envelope.findUnique({
        where: { proposalId_provider: { proposalId, provider: 'pandadoc' } },
      });
      let pandadocId = recorded?.externalId;
      if (pandadocId === undefined) {
        const query = new URLSearchParams({ [`metadata_${metadataKey}`]: proposalId });
        const earlier = ZDocumentListSchema.parse(await request(userId, 'GET', `/documents?${query.toString()}`));
        pandadocId = earlier.results.find((document) => document.status !== 'document.voided')?.id;
      }
      if (pandadocId === undefined) {
        const document = await prisma.document.findUniqueOrThrow({ where: { id: documentId } });
        const form = new FormData();
        form.append(
          'file',
          new Blob([Buffer.from(document.bytes)], { type: 'application/pdf' }),
          'insertion-order.pdf',
        );
        form.append(
          'data',
          JSON.stringify({
            name: approved.content.title,
            recipients: [{ email: approved.signer.email, first_name: approved.signer.name, role: 'Signer' }],
            metadata: { [metadataKey]: proposalId },
            parse_form_fields: false,
          }),
        );
        pandadocId = ZDocumentSchema.parse(await request(userId, 'POST', '/documents', form)).id;
        log.info('PandaDoc document created', { proposalId, pandadocId });
      }
      await prisma.envelope.upsert({
        where: { proposalId_provider: { proposalId, provider: 'pandadoc' } },
        create: {
          organizationId: approved.proposal.organizationId,
          proposalId,
          provider: 'pandadoc',
          externalId: pandadocId,
          status: 'document.uploaded',
        },
        update: {},
      });

      await waitForDraft(userId, pandadocId);
      const current = ZDocumentSchema.parse(await request(userId, 'GET', `/documents/${pandadocId}`));
      if (current.status === 'document.draft') {
        const body = JSON.stringify({ subject: `Please sign: ${approved.content.title}`, silent: false });
        await request(userId, 'POST', `/documents/${pandadocId}/send`, body);
        log.info('PandaDoc document sent', { proposalId, pandadocId });
      }
      await prisma.envelope.updateMany({
        where: { proposalId, provider: 'pandadoc', status: { in: ['document.uploaded', 'document.draft'] } },
        data: { status: 'document.sent', statusAt: new Date() },
      });

      return { pandadocId };
    },

    async storeSignedDocument(proposalId: string) {
      const envelope = await recordedDocument(proposalId);
      const bytes = await request(
        envelope.proposal.repUserId,
        'GET',
        `/documents/${envelope.externalId}/download`,
        undefined,
        false,
      );
      const { document } = await loadSentDocument(prisma, proposalId);

      return storeDocument(prisma, {
        organizationId: envelope.organizationId,
        proposalId,
        kind: 'signed_io',
        version: document.version,
        bytes: bytes as Buffer,
      });
    },

    async close(proposalId: string, reason: TClosingReason): Promise<TClosingResult> {
      const envelope = await recordedDocument(proposalId);
      const recordedEnd = finalStatuses[envelope.status];
      if (recordedEnd !== undefined) {
        return recordedEnd;
      }
      // The signer may have finished after the last webhook we received, and PandaDoc rejects voiding it then.
      const userId = envelope.proposal.repUserId;
      const current = ZDocumentSchema.parse(await request(userId, 'GET', `/documents/${envelope.externalId}`));
      const providerEnd = finalStatuses[current.status];
      if (providerEnd !== undefined) {
        await prisma.envelope.update({
          where: { id: envelope.id },
          data: { status: current.status, statusAt: new Date() },
        });
        log.info('PandaDoc document already closed', { proposalId, pandadocId: envelope.externalId, reason });

        return providerEnd;
      }
      const note = reason === 'expired' ? 'The signing period ended' : 'The sending process failed';
      await request(
        envelope.proposal.repUserId,
        'PATCH',
        `/documents/${envelope.externalId}/status`,
        JSON.stringify({ status: voidedStatusCode, note, notify_recipients: true }),
        false,
      );
      await prisma.envelope.update({
        where: { id: envelope.id },
        data: { status: 'document.voided', statusAt: new Date() },
      });
      log.info('PandaDoc document voided', { proposalId, pandadocId: envelope.externalId, reason });

      return 'closed';
    },
  };
}
