import type { PrismaClient } from '../generated/prisma/client';
import { consentScopes, type TConsentScope } from './content';

// A company's consent is the latest `consent_records` row per scope; a scope without any row is not given.

export interface ConsentBox {
  scope: TConsentScope;
  granted: boolean;
  changedBy: { id: string; name: string | null } | null;
  changedAt: Date | null;
}

export async function currentConsent(prisma: PrismaClient, organizationId: string): Promise<ConsentBox[]> {
  const latest = await prisma.consentRecord.findMany({
    where: { organizationId },
    orderBy: [{ changedAt: 'desc' }, { id: 'desc' }],
    distinct: ['scope'],
    include: { changedBy: { select: { id: true, name: true } } },
  });

  return consentScopes.map((scope) => {
    const record = latest.find((row) => row.scope === scope);

    return {
      scope,
      granted: record?.granted ?? false,
      changedBy: record ? { id: record.changedBy.id, name: record.changedBy.name } : null,
      changedAt: record?.changedAt ?? null,
    };
  });
}

export async function missingConsent(prisma: PrismaClient, organizationId: string): Promise<TConsentScope[]> {
  const boxes = await currentConsent(prisma, organizationId);

  return boxes.filter((box) => !box.granted).map((box) => box.scope);
}

/** The reason a rep reads when consent stops a proposal, naming each box that is not given. */
export function blockedReasonFor(missing: readonly TConsentScope[], stage: 'generation' | 'sending'): string {
  const action = stage === 'generation' ? 'generated' : 'sent';

  return `Not ${action}: the company admin has not given consent for ${missing.join(', ')}`;
}
