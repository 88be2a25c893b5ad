import type { PrismaClient } from '../generated/prisma/client';

// Which of a rep's chosen prospects a new campaign may email. Suppressed addresses (unsubscribed or
// bounced) and prospects without an address are left out, and the caller reports each with its reason.

export type ExclusionReason = 'unsubscribed' | 'bounced' | 'no_email';

export interface RecipientSelection {
  recipients: Array<{ prospectId: string; email: string }>;
  excluded: Array<{ prospectId: string; email: string | null; reason: ExclusionReason }>;
  /** Requested ids that are not prospects of this organisation. */
  unknownProspectIds: string[];
}

export async function selectRecipients(
  prisma: PrismaClient,
  organizationId: string,
  prospectIds: string[],
): Promise<RecipientSelection> {
  const prospects = await prisma.prospect.findMany({ where: { organizationId, id: { in: prospectIds } } });
  const found = new Set(prospects.map((prospect) => prospect.id));
  const emails = prospects.flatMap((prospect) => (prospect.email === null ? [] : [normalizeEmail(prospect.email)]));
  const suppressions = await prisma.emailSuppression.findMany({ where: { organizationId, email: { in: emails } } });
  const reasonByEmail = new Map(suppressions.map((suppression) => [suppression.email, suppression.reason]));

  const selection: RecipientSelection = {
    recipients: [],
    excluded: [],
    unknownProspectIds: prospectIds.filter((id) => !found.has(id)),
  };
  const seen = new Set<string>();
  for (const prospect of prospects) {
    if (prospect.email === null) {
      selection.excluded.push({ prospectId: prospect.id, email: null, reason: 'no_email' });
      continue;
    }
    const email = normalizeEmail(prospect.email);
    const suppressed = reasonByEmail.get(email);
    if (suppressed !== undefined) {
      selection.excluded.push({ prospectId: prospect.id, email, reason: suppressed });
    } else if (!seen.has(email)) {
      seen.add(email);
      selection.recipients.push({ prospectId: prospect.id, email });
    }
  }

  return selection;
}

/** Addresses are compared in lower case, because providers report them in whatever case the lead typed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
