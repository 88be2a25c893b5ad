import { Context, log } from '@temporalio/activity';
import { google } from 'googleapis';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { OAuthTokenVault } from '../lib/oauth/token-vault';
import { loadApprovedProposal, type TApprovedProposal } from './documents';
import { providerAccessToken } from './oauth-access';
import { providerFailure, statusOf } from './provider-failure';
import type { TSignatureProvider } from './signature-types';

// The cover email, sent from the rep's own Gmail account (Gmail API v1 through googleapis). It goes out once
// per proposal: a `cover_emails` row contains our own Message-ID header, and before any send a
// `messages.list` search for `rfc822msgid:<that id>` finds a message that an earlier attempt sent but
// could not record.

export interface GmailDependencies {
  prisma: PrismaClient;
  oauthVault: OAuthTokenVault | undefined;
  /** Gmail API root, `https://gmail.googleapis.com/` or the sandbox's root URL; googleapis uses only its origin. */
  gmailRootUrl: string;
}

export interface CoverEmailContent {
  subject: string;
  text: string;
}

function gmailClient(rootUrl: string, accessToken: string) {
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: accessToken });

  return google.gmail({ version: 'v1', rootUrl, auth, retry: false, timeout: 30_000 });
}

/**
 * Sends the proposal's cover email unless it already went out. `compose` runs only when a new message is
 * really sent, so work that must not be repeated for a message already delivered (such as minting the
 * signing link it carries) happens there.
 */
export async function sendCoverEmailOnce(
  deps: GmailDependencies,
  approved: TApprovedProposal,
  compose: () => Promise<CoverEmailContent>,
): Promise<{ gmailMessageId: string; sentNow: boolean }> {
  const { proposal } = approved;
  const cover = await deps.prisma.coverEmail.upsert({
    where: { proposalId: proposal.id },
    create: {
      organizationId: proposal.organizationId,
      proposalId: proposal.id,
      senderUserId: proposal.repUserId,
      messageIdHeader: `<cover-${proposal.id}@sales-blitz.invalid>`,
    },
    update: {},
  });
  if (cover.sentAt !== null && cover.gmailMessageId !== null) {
    return { gmailMessageId: cover.gmailMessageId, sentNow: false };
  }

  const { accessToken, externalAccount } = await providerAccessToken(deps.oauthVault, proposal.repUserId, 'gmail');
  const gmail = gmailClient(deps.gmailRootUrl, accessToken);
  const signal = Context.current().cancellationSignal;
  const earlier = await callGmail('messages.list', () =>
    gmail.users.messages.list({ userId: 'me', q: `rfc822msgid:${cover.messageIdHeader}`, maxResults: 1 }, { signal }),
  );
  const earlierId = earlier.data.messages?.[0]?.id;
  if (earlierId !== undefined && earlierId !== null) {
    await markSent(deps.prisma, cover.id, earlierId);
    log.info('Cover email found from an earlier attempt', { proposalId: proposal.id, gmailMessageId: earlierId });

    return { gmailMessageId: earlierId, sentNow: false };
  }

  const content = await compose();
  const raw = rfc822Message({
    from: externalAccount ?? proposal.rep.email ?? 'me',
    to: approved.signer.email,
    messageId: cover.messageIdHeader,
    ...content,
  });
  const sent = await callGmail('messages.send', () =>
    gmail.users.messages.send({ userId: 'me', requestBody: { raw } }, { signal }),
  );
  const gmailMessageId = sent.data.id ?? '';
  await markSent(deps.prisma, cover.id, gmailMessageId);
  log.info('Cover email sent', { proposalId: proposal.id, gmailMessageId });

  return { gmailMessageId, sentNow: true };
}

export function createGmailActivities(deps: GmailDependencies) {
  return {
    async sendCoverEmail({ proposalId, provider }: { proposalId: string; provider: TSignatureProvider }) {
      const approved = await loadApprovedProposal(deps.prisma, proposalId);
      const providerName = provider === 'docusign' ? 'DocuSign' : 'PandaDoc';
      const { gmailMessageId } = await sendCoverEmailOnce(deps, approved, () =>
        Promise.resolve({
          subject: `Insertion order to sign: ${approved.content.title}`,
          text: [
            `Hello ${approved.signer.name},`,
            '',
            `${approved.proposal.organization.name} has sent you the insertion order "${approved.content.title}" ` +
              `for signature. ${providerName} will email you a separate link to review and sign it.`,
            '',
            approved.proposal.rep.name ?? approved.proposal.organization.name,
          ].join('\n'),
        }),
      );

      return { gmailMessageId };
    },
  };
}

async function markSent(prisma: PrismaClient, coverEmailId: string, gmailMessageId: string): Promise<void> {
  await prisma.coverEmail.update({ where: { id: coverEmailId }, data: { gmailMessageId, sentAt: new Date() } });
}

async function callGmail<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = statusOf(error) ?? statusOf((error as { response?: unknown }).response);
    throw providerFailure('gmail', status, `${operation} failed`, error);
  }
}

/** A plain-text RFC 5322 message, base64url-encoded as `messages.send` expects in `raw`. */
function rfc822Message(input: { from: string; to: string; messageId: string; subject: string; text: string }): string {
  const lines = [
    `From: ${input.from}`,
    `To: ${input.to}`,
    `Subject: =?UTF-8?B?${Buffer.from(input.subject, 'utf8').toString('base64')}?=`,
    `Message-ID: ${input.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(input.text, 'utf8').toString('base64'),
  ];

  return Buffer.from(lines.join('\r\n'), 'utf8').toString('base64url');
}
