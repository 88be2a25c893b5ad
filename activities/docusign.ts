import { log } from '@temporalio/activity';
import docusign from 'docusign-esign';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { OAuthTokenVault } from '../lib/oauth/token-vault';
import { loadApprovedProposal, loadSentDocument, storeDocument } from './documents';
import { providerAccessToken } from './oauth-access';
import { providerFailure, statusOf } from './provider-failure';
import type { TClosingReason, TClosingResult } from './signature-types';

// DocuSign eSignature REST API v2.1 through the official docusign-esign SDK, acting as the rep with their
// OAuth access token. Status changes arrive by Connect webhook; this module creates, voids and downloads.

export interface DocusignDependencies {
  prisma: PrismaClient;
  oauthVault: OAuthTokenVault | undefined;
  /** REST base path, e.g. https://demo.docusign.net/restapi or the sandbox's /docusign/restapi. */
  docusignBasePath: string;
}

/** DocuSign envelope statuses after which an envelope can no longer be voided, with the end each one means. */
const finalStatuses: Record<string, Exclude<TClosingResult, 'closed'>> = {
  completed: 'signed',
  declined: 'declined',
  voided: 'voided',
};

/** Envelope custom field naming our proposal, so an envelope created but not recorded is found again. */
export const proposalCustomField = 'sales_blitz_proposal_id';

async function envelopesApi(deps: DocusignDependencies, userId: string) {
  const { accessToken, externalAccount } = await providerAccessToken(deps.oauthVault, userId, 'docusign');
  const client = new docusign.ApiClient({ basePath: deps.docusignBasePath, oAuthBasePath: '' });
  client.addDefaultHeader('Authorization', `Bearer ${accessToken}`);
  if (externalAccount === null) {
    throw providerFailure('docusign', 400, 'the DocuSign connection has no account id');
  }

  return { api: new docusign.EnvelopesApi(client), accountId: externalAccount };
}

async function callDocusign<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = statusOf((error as { response?: unknown }).response) ?? statusOf(error);
    throw providerFailure('docusign', status, `${operation} failed`, error);
  }
}

export function createDocusignActivities(deps: DocusignDependencies) {
  const { prisma } = deps;

  async function envelopeOf(proposalId: string) {
    const envelope = await prisma.envelope.findUniqueOrThrow({
      where: { proposalId_provider: { proposalId, provider: 'docusign' } },
      include: { proposal: { select: { repUserId: true } } },
    });

    return { envelope, ...(await envelopesApi(deps, envelope.proposal.repUserId)) };
  }

  return {
    async createDocusignEnvelope({ proposalId, documentId }: { proposalId: string; documentId: string }) {
      const recorded = await prisma.envelope.findUnique({
        where: { proposalId_provider: { proposalId, provider: 'docusign' } },
      });
      if (recorded !== null) {
        return { envelopeId: recorded.externalId };
      }
      const approved = await loadApprovedProposal(prisma, proposalId);
      const { api, accountId } = await envelopesApi(deps, approved.proposal.repUserId);

      const earlier = await callDocusign('envelopes.listStatusChanges', () =>
        api.listStatusChanges(accountId, {
          customField: `${proposalCustomField}=${proposalId}`,
          fromDate: new Date(approved.version.createdAt.getTime() - 86_400_000).toISOString(),
        }),
      );
      let envelopeId = earlier.envelopes?.find((envelope) => envelope.status !== 'voided')?.envelopeId;
      if (envelopeId === undefined) {
        const document = await prisma.document.findUniqueOrThrow({ where: { id: documentId } });
        const created = await callDocusign('envelopes.create', () =>
          api.createEnvelope(accountId, {
            envelopeDefinition: {
              emailSubject: `Please sign: ${approved.content.title}`.slice(0, 100),
              status: 'sent',
              documents: [
                {
                  documentId: '1',
                  name: `${approved.content.title}.pdf`,
                  fileExtension: 'pdf',
                  documentBase64: Buffer.from(document.bytes).toString('base64'),
                },
              ],
              recipients: {
                signers: [
                  { recipientId: '1', routingOrder: '1', name: approved.signer.name, email: approved.signer.email },
                ],
              },
              customFields: {
                textCustomFields: [{ name: proposalCustomField, value: proposalId, show: 'false', required: 'false' }],
              },
            },
          }),
        );
        envelopeId = created.envelopeId ?? '';
        log.info('DocuSign envelope created', { proposalId, envelopeId });
      }
      await prisma.envelope.upsert({
        where: { proposalId_provider: { proposalId, provider: 'docusign' } },
        create: {
          organizationId: approved.proposal.organizationId,
          proposalId,
          provider: 'docusign',
          externalId: envelopeId,
          status: 'sent',
        },
        update: {},
      });

      return { envelopeId };
    },

    async storeSignedDocument(proposalId: string) {
      const { envelope, api, accountId } = await envelopeOf(proposalId);
      const bytes = await callDocusign('envelopes.getDocument', () =>
        api.getDocument(accountId, envelope.externalId, 'combined', {}),
      );
      const { document } = await loadSentDocument(prisma, proposalId);

      return storeDocument(prisma, {
        organizationId: envelope.organizationId,
        proposalId,
        kind: 'signed_io',
        version: document.version,
        bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(String(bytes), 'binary'),
      });
    },

    async close(proposalId: string, reason: TClosingReason): Promise<TClosingResult> {
      const { envelope, api, accountId } = await envelopeOf(proposalId);
      const recordedEnd = finalStatuses[envelope.status];
      if (recordedEnd !== undefined) {
        return recordedEnd;
      }
      // The signer may have finished after the last webhook we received, and DocuSign rejects voiding it then.
      const current = await callDocusign('envelopes.get', () => api.getEnvelope(accountId, envelope.externalId, {}));
      const providerEnd = finalStatuses[current.status ?? ''];
      if (providerEnd !== undefined) {
        await prisma.envelope.update({
          where: { id: envelope.id },
          data: { status: current.status!, statusAt: new Date() },
        });
        log.info('DocuSign envelope already closed', { proposalId, envelopeId: envelope.externalId, reason });

        return providerEnd;
      }
      await callDocusign('envelopes.update', () =>
        api.update(accountId, envelope.externalId, {
          envelope: {
            status: 'voided',
            voidedReason: reason === 'expired' ? 'The signing period ended' : 'The sending process failed',
          },
        }),
      );
      await prisma.envelope.update({ where: { id: envelope.id }, data: { status: 'voided', statusAt: new Date() } });
      log.info('DocuSign envelope voided', { proposalId, envelopeId: envelope.externalId, reason });

      return 'closed';
    },
  };
}
