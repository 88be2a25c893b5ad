import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { DEMO_ADMIN_USER_ID, DEMO_ORGANIZATION_ID, DEMO_REP_USER_ID } from '../../prisma/seed';
import type { TestStack } from './stack';
import { waitFor } from './wait';

// Shared steps of the campaign tests: prospects with fresh addresses, a campaign created through the API
// and launched at the Instantly stand-in, and that stand-in's view of what the product sent it.

export const rep = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' as const };
export const admin = { userId: DEMO_ADMIN_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'admin' as const };

export interface InstantlyStandInState {
  campaigns: Array<{ id: string; name: string; status: number }>;
  leads: Array<{ campaign: string; email: string }>;
  blockList: string[];
  warmupAccounts: string[];
}

/** Creates prospects of the demo company with unique addresses; returns their ids and addresses. */
export async function createProspects(stack: TestStack, count: number): Promise<Array<{ id: string; email: string }>> {
  const prospects = [];
  for (let index = 0; index < count; index += 1) {
    const email = `lead-${randomUUID().slice(0, 8)}@prospect.example`;
    const prospect = await stack.database.prisma.prospect.create({
      data: { organizationId: DEMO_ORGANIZATION_ID, name: `Lead ${index + 1}`, email },
    });
    prospects.push({ id: prospect.id, email });
  }

  return prospects;
}

export interface CreatedCampaign {
  campaign: { id: string; status: string };
  recipients: Array<{ prospectId: string; email: string }>;
  excluded: Array<{ prospectId: string; email: string | null; reason: string }>;
}

/** Creates a campaign through the API and waits until its workflow has activated it at Instantly. */
export async function launchCampaign(stack: TestStack, prospectIds: string[]): Promise<CreatedCampaign> {
  const created = await stack.request('POST', '/api/campaigns', {
    principal: rep,
    body: { name: `Spring outreach ${randomUUID().slice(0, 4)}`, prospectIds },
  });
  expect(created.status).toBe(201);
  const body = created.body as CreatedCampaign;
  await waitFor(
    () => stack.database.prisma.campaign.findUniqueOrThrow({ where: { id: body.campaign.id } }),
    (row) => row.status === 'active',
    'the campaign to become active',
  );

  return body;
}

export async function instantlyState(stack: TestStack): Promise<InstantlyStandInState> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/instantly/state`);

  return (await response.json()) as InstantlyStandInState;
}

export async function instantlyCampaignIdOf(stack: TestStack, campaignId: string): Promise<string> {
  const row = await stack.database.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });

  return row.instantlyCampaignId!;
}
