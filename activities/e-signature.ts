import type { PrismaClient } from '../lib/generated/prisma/client';
import type { OAuthTokenVault } from '../lib/oauth/token-vault';
import { createDocumentActivities } from './documents';
import { createDocusignActivities } from './docusign';
import { createGmailActivities } from './gmail';
import { createPandadocActivities } from './pandadoc';
import type { SignatureActivities } from './signature-types';
import { createSigningActivities } from './signing';

// Every activity of the e-signature workflow, wired to one set of clients and settings.

/** Where the signature activities reach Gmail, DocuSign and PandaDoc. */
export interface SignatureEndpoints {
  gmailRootUrl: string;
  docusignBasePath: string;
  pandadocBaseUrl: string;
}

export interface SignatureDependencies extends SignatureEndpoints {
  prisma: PrismaClient;
  oauthVault: OAuthTokenVault | undefined;
  publicBaseUrl: string;
  signingLinkTtlDays: number;
  pandadocDraftPollIntervalMs?: number;
}

export function createSignatureActivities(deps: SignatureDependencies): SignatureActivities {
  const docusign = createDocusignActivities(deps);
  const pandadoc = createPandadocActivities({ ...deps, draftPollIntervalMs: deps.pandadocDraftPollIntervalMs });

  return {
    ...createDocumentActivities(deps),
    ...createGmailActivities(deps),
    createDocusignEnvelope: (input) => docusign.createDocusignEnvelope(input),
    createPandadocDocument: (input) => pandadoc.createPandadocDocument(input),
    ...createSigningActivities({
      ...deps,
      providers: {
        docusign: {
          storeSignedDocument: (proposalId) => docusign.storeSignedDocument(proposalId),
          close: (proposalId, reason) => docusign.close(proposalId, reason),
        },
        pandadoc: {
          storeSignedDocument: (proposalId) => pandadoc.storeSignedDocument(proposalId),
          close: (proposalId, reason) => pandadoc.close(proposalId, reason),
        },
      },
    }),
  };
}
