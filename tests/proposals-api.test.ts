import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TProposalContent } from '../lib/proposals/content';
import { contentHash } from '../lib/proposals/hash';
import {
  DEMO_ADMIN_USER_ID,
  DEMO_ORGANIZATION_ID,
  DEMO_REP_USER_ID,
  OTHER_ORGANIZATION_ID,
  OTHER_REP_USER_ID,
} from '../prisma/seed';
import {
  openProposalForMeeting,
  seedQualifiedMeeting,
  startProposalWorkflow,
  startQualifiedProposal,
  waitForProposalStatus,
} from './support/proposals';
import { startTestStack, type TestStack } from './support/stack';

// Proposals through the real stack: PostgreSQL, a Temporal dev server, the worker, the sandbox and the API.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const rep = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' as const };
const admin = { userId: DEMO_ADMIN_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'admin' as const };
const otherRep = { userId: OTHER_REP_USER_ID, organizationId: OTHER_ORGANIZATION_ID, role: 'rep' as const };

function newProposal(options: { consent?: boolean } = {}) {
  return startQualifiedProposal(stack, {
    organizationId: DEMO_ORGANIZATION_ID,
    repUserId: DEMO_REP_USER_ID,
    adminUserId: DEMO_ADMIN_USER_ID,
    ...options,
  });
}

type Detail = {
  status: string;
  blockedReason: string | null;
  latestVersion: number;
  version: { version: number; contentHash: string; content: TProposalContent } | null;
  timeline: Array<{ status: string }>;
  temporal: { proposalUrl: string };
};

async function detail(proposalId: string): Promise<Detail> {
  const response = await stack.request('GET', `/api/proposals/${proposalId}`, { principal: rep });
  expect(response.status).toBe(200);

  return response.body as Detail;
}

/** Makes the Anthropic stand-in's next draft name an unknown item and state prices and totals of 1 cent. */
async function injectTamperedDraft(): Promise<void> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ provider: 'anthropic', fault: 'tampered_output' }),
  });
  expect(response.status).toBe(201);
}

function errorCode(body: unknown): string | undefined {
  return (body as { error?: { code?: string } }).error?.code;
}

describe('proposal draft', () => {
  it('qualified call drafts version 1', async () => {
    const { proposalId } = await newProposal();

    const shown = await detail(proposalId);
    const content = shown.version!.content;
    expect(shown.status).toBe('awaiting_decision');
    expect(shown.latestVersion).toBe(1);
    expect(shown.version!.contentHash).toBe(contentHash(content));
    expect(content.evidence.length).toBeGreaterThan(0);
    expect(shown.timeline.map((entry) => entry.status)).toEqual(['generating', 'awaiting_decision']);
    expect(shown.temporal.proposalUrl).toContain(`proposal-${proposalId}`);
  }, 120_000);

  it('stand-in tampers draft on request', async () => {
    await injectTamperedDraft();

    const response = await fetch(`${stack.sandbox.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-api-key': 'test', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude-test',
        max_tokens: 1000,
        tools: [{ name: 'draft_proposal', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'draft_proposal' },
        messages: [
          { role: 'user', content: '<price_book currency="USD">\n[{"id":"a","sku":"A","name":"A"}]\n</price_book>' },
        ],
      }),
    });

    const body = (await response.json()) as {
      content: Array<{ input: { lineItems: Array<{ itemId: string }>; totalMinor: number } }>;
    };
    expect(body.content[0]!.input.lineItems.map((line) => line.itemId)).toEqual(['a', 'item-not-in-price-book']);
    expect(body.content[0]!.input.totalMinor).toBe(1);
  });

  it('line items priced from price book', async () => {
    const prisma = stack.database.prisma;
    await injectTamperedDraft();

    const { proposalId } = await newProposal();

    const content = (await detail(proposalId)).version!.content;
    const priceBook = await prisma.priceBookItem.findMany({ where: { organizationId: DEMO_ORGANIZATION_ID } });
    expect(content.lineItems.length).toBeGreaterThan(0);
    for (const line of content.lineItems) {
      const item = priceBook.find((entry) => entry.id === line.itemId);
      expect(item).toBeDefined();
      expect(line.unitPriceMinor).toBe(item!.unitPriceMinor);
      expect(line.totalMinor).toBe(line.quantity * item!.unitPriceMinor);
    }
    const sum = content.lineItems.reduce((total, line) => total + line.totalMinor, 0);
    expect(content.subtotalMinor).toBe(sum);
    expect(content.totalMinor).toBe(sum);
    expect(content.totalMinor).not.toBe(1);
    expect(content.lineItems.map((line) => line.itemId)).not.toContain('item-not-in-price-book');
  }, 120_000);

  it('withdrawn consent blocks generation', async () => {
    const withdrawn = await stack.request('PUT', '/api/settings/consent/use_price_book', {
      principal: admin,
      body: { granted: false },
    });
    expect(withdrawn.status).toBe(200);

    const { proposalId } = await newProposal({ consent: false });

    const shown = await detail(proposalId);
    const versions = await stack.database.prisma.proposalVersion.count({ where: { proposalId } });
    expect(shown.status).toBe('blocked');
    expect(shown.blockedReason).toContain('use_price_book');
    expect(shown.blockedReason).not.toContain('generate_from_call_data');
    expect(shown.version).toBeNull();
    expect(versions).toBe(0);
    const regranted = await stack.request('PUT', '/api/settings/consent/use_price_book', {
      principal: admin,
      body: { granted: true },
    });
    expect(regranted.status).toBe(200);
  }, 120_000);

  it('non-qualifying call opens no proposal', async () => {
    const prisma = stack.database.prisma;
    const { meetingId } = await seedQualifiedMeeting(prisma, {
      organizationId: DEMO_ORGANIZATION_ID,
      repUserId: DEMO_REP_USER_ID,
      qualifies: true,
      score: 10,
    });

    const opened = await openProposalForMeeting(prisma, meetingId);

    expect(opened).toBeNull();
    expect(await prisma.proposal.count({ where: { meetingId } })).toBe(0);
  }, 60_000);
});

describe('proposal decisions', () => {
  it('other company gets 404', async () => {
    const { proposalId } = await newProposal();

    const read = await stack.request('GET', `/api/proposals/${proposalId}`, { principal: otherRep });
    const approve = await stack.request('POST', `/api/proposals/${proposalId}/approve`, {
      principal: otherRep,
      body: { version: 1 },
    });

    expect(read.status).toBe(404);
    expect(approve.status).toBe(404);
    expect(errorCode(approve.body)).toBe('not_found');
    expect((await detail(proposalId)).status).toBe('awaiting_decision');
  }, 120_000);

  it('stale version approval refused', async () => {
    const { proposalId } = await newProposal();

    const response = await stack.request('POST', `/api/proposals/${proposalId}/approve`, {
      principal: rep,
      body: { version: 2 },
    });

    expect(response.status).toBe(409);
    expect(errorCode(response.body)).toBe('stale_version');
  }, 120_000);

  it('double approval answered idempotently', async () => {
    const { proposalId } = await newProposal();
    const beforeApproval = await stack.request('GET', `/api/proposals/${proposalId}`, { principal: rep });

    const first = await stack.request('POST', `/api/proposals/${proposalId}/approve`, {
      principal: rep,
      body: { version: 1 },
    });
    const second = await stack.request('POST', `/api/proposals/${proposalId}/approve`, {
      principal: rep,
      body: { version: 1 },
    });

    const decisions = await stack.database.prisma.proposalDecision.findMany({ where: { proposalId } });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((first.body as { status: string }).status).toBe('approved');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.actorUserId).toBe(DEMO_REP_USER_ID);
    // The signature workflow exists only after the approval, so only then is it linked.
    const afterApproval = await stack.request('GET', `/api/proposals/${proposalId}`, { principal: rep });
    type TLinks = { temporal: { signatureUrl: string | null } };
    expect((beforeApproval.body as TLinks).temporal.signatureUrl).toBeNull();
    expect((afterApproval.body as TLinks).temporal.signatureUrl).toContain(`signature-${proposalId}`);
  }, 120_000);

  it('approval after expiry refused', async () => {
    const prisma = stack.database.prisma;
    const { meetingId } = await seedQualifiedMeeting(prisma, {
      organizationId: DEMO_ORGANIZATION_ID,
      repUserId: DEMO_REP_USER_ID,
    });
    // Three seconds to expiry, so the dev server's real timer fires within the test.
    const opened = await openProposalForMeeting(prisma, meetingId, { reminderHours: [], expiryDays: 3 / 86_400 });
    await startProposalWorkflow(stack.temporal, stack.config.TEMPORAL_TASK_QUEUE, opened!);
    await waitForProposalStatus(prisma, opened!.proposalId, ['expired']);

    const response = await stack.request('POST', `/api/proposals/${opened!.proposalId}/approve`, {
      principal: rep,
      body: { version: 1 },
    });

    expect(response.status).toBe(409);
    expect(errorCode(response.body)).toBe('proposal_expired');
    expect(await prisma.proposalDecision.count({ where: { proposalId: opened!.proposalId } })).toBe(0);
  }, 120_000);

  it('reject needs a reason', async () => {
    const { proposalId } = await newProposal();

    const without = await stack.request('POST', `/api/proposals/${proposalId}/reject`, {
      principal: rep,
      body: { version: 1 },
    });
    const blank = await stack.request('POST', `/api/proposals/${proposalId}/reject`, {
      principal: rep,
      body: { version: 1, reason: '   ' },
    });
    const rejected = await stack.request('POST', `/api/proposals/${proposalId}/reject`, {
      principal: rep,
      body: { version: 1, reason: 'Budget moved to next quarter' },
    });

    expect(without.status).toBe(400);
    expect(blank.status).toBe(400);
    expect(rejected.status).toBe(200);
    const row = await waitForProposalStatus(stack.database.prisma, proposalId, ['rejected']);
    expect(row.rejectionReason).toBe('Budget moved to next quarter');
  }, 120_000);

  it('edit makes version 2; version 1 stale', async () => {
    const { proposalId } = await newProposal();
    const before = await detail(proposalId);
    const item = before.version!.content.lineItems[0]!;

    const edited = await stack.request('POST', `/api/proposals/${proposalId}/versions`, {
      principal: rep,
      body: { baseVersion: 1, changes: { title: 'Edited offer', lineItems: [{ itemId: item.itemId, quantity: 9 }] } },
    });
    const staleApproval = await stack.request('POST', `/api/proposals/${proposalId}/approve`, {
      principal: rep,
      body: { version: 1 },
    });
    const approval = await stack.request('POST', `/api/proposals/${proposalId}/approve`, {
      principal: rep,
      body: { version: 2 },
    });

    const after = await detail(proposalId);
    expect(edited.status).toBe(201);
    expect((edited.body as { version: number }).version).toBe(2);
    expect((edited.body as { contentHash: string }).contentHash).not.toBe(before.version!.contentHash);
    expect(after.version!.content.title).toBe('Edited offer');
    expect(after.version!.content.totalMinor).toBe(9 * item.unitPriceMinor);
    expect(staleApproval.status).toBe(409);
    expect(errorCode(staleApproval.body)).toBe('stale_version');
    expect(approval.status).toBe(200);
    expect((approval.body as { contentHash: string }).contentHash).toBe(after.version!.contentHash);
  }, 120_000);

  it('edit with unknown item refused', async () => {
    const { proposalId } = await newProposal();

    const response = await stack.request('POST', `/api/proposals/${proposalId}/versions`, {
      principal: rep,
      body: { baseVersion: 1, changes: { lineItems: [{ itemId: 'made-up', quantity: 1 }] } },
    });

    expect(response.status).toBe(400);
    expect((await detail(proposalId)).latestVersion).toBe(1);
  }, 120_000);

  it('inbox lists awaiting proposals', async () => {
    const { proposalId } = await newProposal();

    const response = await stack.request('GET', '/api/proposals?status=awaiting_decision', { principal: rep });
    const other = await stack.request('GET', '/api/proposals', { principal: otherRep });

    const listed = (response.body as { proposals: Array<{ id: string; status: string; totalMinor: number }> })
      .proposals;
    expect(response.status).toBe(200);
    expect(listed.map((entry) => entry.id)).toContain(proposalId);
    expect(listed.every((entry) => entry.status === 'awaiting_decision')).toBe(true);
    expect((other.body as { proposals: unknown[] }).proposals).toHaveLength(0);
  }, 120_000);
});

describe('settings', () => {
  it('consent change needs an admin', async () => {
    const response = await stack.request('PUT', '/api/settings/consent/generate_from_call_data', {
      principal: rep,
      body: { granted: false },
    });

    expect(response.status).toBe(403);
    expect(errorCode(response.body)).toBe('forbidden');
  });

  it('consent shows who changed each box', async () => {
    await stack.request('PUT', '/api/settings/consent/require_rep_approval', {
      principal: admin,
      body: { granted: true },
    });

    const response = await stack.request('GET', '/api/settings/consent', { principal: rep });

    const body = response.body as {
      boxes: Array<{ scope: string; granted: boolean; changedBy: { id: string; name: string } | null }>;
      history: Array<{ scope: string }>;
    };
    const box = body.boxes.find((entry) => entry.scope === 'require_rep_approval');
    expect(body.boxes).toHaveLength(3);
    expect(box?.granted).toBe(true);
    expect(box?.changedBy).toEqual({ id: DEMO_ADMIN_USER_ID, name: 'Avery Admin' });
    expect(body.history.length).toBeGreaterThan(0);
    const audit = await stack.database.prisma.auditEvent.count({
      where: { organizationId: DEMO_ORGANIZATION_ID, action: 'consent.granted' },
    });
    expect(audit).toBeGreaterThan(0);
  });

  it('price book item lifecycle', async () => {
    const created = await stack.request('POST', '/api/settings/price-book/items', {
      principal: admin,
      body: { sku: 'NW-PODCAST', name: 'Podcast host read', unitPriceMinor: 90_000, unit: 'episode' },
    });
    const id = (created.body as { id: string }).id;
    const patched = await stack.request('PATCH', `/api/settings/price-book/items/${id}`, {
      principal: admin,
      body: { unitPriceMinor: 95_000 },
    });
    const removed = await stack.request('DELETE', `/api/settings/price-book/items/${id}`, { principal: admin });
    const byRep = await stack.request('POST', '/api/settings/price-book/items', {
      principal: rep,
      body: { sku: 'NW-X', name: 'X', unitPriceMinor: 1, unit: 'x' },
    });
    const book = await stack.request('GET', '/api/settings/price-book', { principal: rep });

    expect(created.status).toBe(201);
    expect((patched.body as { unitPriceMinor: number }).unitPriceMinor).toBe(95_000);
    expect((removed.body as { active: boolean }).active).toBe(false);
    expect(byRep.status).toBe(403);
    const items = (book.body as { items: Array<{ sku: string; active: boolean }> }).items;
    expect(items.find((item) => item.sku === 'NW-PODCAST')?.active).toBe(false);
  });

  it('proposal settings round trip', async () => {
    const changed = await stack.request('PUT', '/api/settings/proposals', {
      principal: admin,
      body: { signingPath: 'docusign', proposalMinScore: 70 },
    });
    const read = await stack.request('GET', '/api/settings/proposals', { principal: rep });
    await stack.request('PUT', '/api/settings/proposals', {
      principal: admin,
      body: { signingPath: 'built_in', proposalMinScore: 50 },
    });

    expect(changed.status).toBe(200);
    expect(read.body).toEqual({ signingPath: 'docusign', proposalMinScore: 70 });
  });

  it('me names user and company', async () => {
    const response = await stack.request('GET', '/api/me', { principal: rep });

    expect(response.body).toEqual({
      user: { id: DEMO_REP_USER_ID, name: 'Riley Rep', email: 'rep@northwind.example' },
      organization: { id: DEMO_ORGANIZATION_ID, name: 'Northwind Media' },
      role: 'rep',
    });
  });
});
