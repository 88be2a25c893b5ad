import type { PrismaClient } from '../generated/prisma/client';
import type { TInstantlyEventType } from './events';

// What an Instantly event changes in the database. An unsubscribe is written here, before the webhook
// response is sent, because the suppression row is what every later send and every new campaign checks. A recipient's
// status never leaves unsubscribed or bounced, whatever arrives later.

export type RecipientEventKind = 'sent' | 'replied' | 'bounced' | 'unsubscribed';

export const recipientEventKinds: Record<TInstantlyEventType, RecipientEventKind> = {
  email_sent: 'sent',
  reply_received: 'replied',
  email_bounced: 'bounced',
  lead_unsubscribed: 'unsubscribed',
};

const finalStatuses = ['bounced', 'unsubscribed'] as const;

export async function applyRecipientEvent(
  prisma: PrismaClient,
  event: { organizationId: string; campaignId: string; email: string; kind: RecipientEventKind },
): Promise<void> {
  const { organizationId, email, kind } = event;
  const now = new Date();
  if (kind === 'unsubscribed') {
    await prisma.$transaction([
      prisma.emailSuppression.upsert({
        where: { organizationId_email: { organizationId, email } },
        create: { organizationId, email, reason: 'unsubscribed' },
        update: { reason: 'unsubscribed' },
      }),
      // Every campaign of the company, not only the one that reported it.
      prisma.campaignRecipient.updateMany({
        where: { email, campaign: { organizationId }, status: { not: 'unsubscribed' } },
        data: { status: 'unsubscribed', statusAt: now },
      }),
    ]);
    return;
  }
  if (kind === 'bounced') {
    await prisma.$transaction([
      prisma.emailSuppression.upsert({
        where: { organizationId_email: { organizationId, email } },
        create: { organizationId, email, reason: 'bounced' },
        update: {},
      }),
      prisma.campaignRecipient.updateMany({
        where: { email, campaign: { organizationId }, status: { notIn: [...finalStatuses] } },
        data: { status: 'bounced', statusAt: now },
      }),
    ]);
    return;
  }
  const from = kind === 'sent' ? (['pending'] as const) : (['pending', 'sent'] as const);
  await prisma.campaignRecipient.updateMany({
    where: { campaignId: event.campaignId, email, status: { in: [...from] } },
    data: { status: kind, statusAt: now },
  });
}
