import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadHistoryFiles, saveHistory } from '../lib/histories';
import { OTHER_ORGANIZATION_ID, OTHER_REP_USER_ID } from '../prisma/seed';
import { campaignCompletedSignal, campaignStateQuery, campaignWorkflowId } from '../workflows/campaign';
import {
  createProspects,
  instantlyCampaignIdOf,
  instantlyState,
  launchCampaign,
  rep,
} from './support/campaign-fixtures';
import { startTestStack, testWorkflowBundle, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

// Campaigns through the API against the real app, PostgreSQL, Temporal and the Instantly stand-in.

let stack: TestStack;
const scratchDirs: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('campaign API', () => {
  test('created campaign is launched at Instantly', async () => {
    const prospects = await createProspects(stack, 2);
    const created = await launchCampaign(
      stack,
      prospects.map((prospect) => prospect.id),
    );

    expect(created.recipients.map((recipient) => recipient.email).sort()).toEqual(
      prospects.map((prospect) => prospect.email).sort(),
    );
    expect(created.excluded).toEqual([]);
    const read = await stack.request('GET', `/api/campaigns/${created.campaign.id}`, { principal: rep });
    expect(read.status).toBe(200);
    const detail = read.body as { campaign: { status: string }; recipients: Array<{ email: string; status: string }> };
    expect(detail.campaign.status).toBe('active');
    expect(detail.recipients.map((recipient) => recipient.status)).toEqual(['pending', 'pending']);

    const instantlyId = await instantlyCampaignIdOf(stack, created.campaign.id);
    const state = await instantlyState(stack);
    expect(state.campaigns.find((campaign) => campaign.id === instantlyId)?.status).toBe(1);
    const leads = state.leads.filter((lead) => lead.campaign === instantlyId).map((lead) => lead.email);
    expect(leads.sort()).toEqual(prospects.map((prospect) => prospect.email).sort());
    expect(state.warmupAccounts).toContain(stack.config.INSTANTLY_SENDING_ACCOUNT);
  });

  test('pause and resume reach Instantly', async () => {
    const [prospect] = await createProspects(stack, 1);
    const { campaign } = await launchCampaign(stack, [prospect!.id]);
    const instantlyId = await instantlyCampaignIdOf(stack, campaign.id);
    const instantlyStatus = async () =>
      (await instantlyState(stack)).campaigns.find((item) => item.id === instantlyId)?.status;

    const paused = await stack.request('POST', `/api/campaigns/${campaign.id}/pause`, { principal: rep });
    expect(paused.status).toBe(200);
    expect((paused.body as { campaign: { status: string } }).campaign.status).toBe('paused');
    expect(await instantlyStatus()).toBe(2);
    const row = await stack.database.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    expect(row.status).toBe('paused');

    const pausedAgain = await stack.request('POST', `/api/campaigns/${campaign.id}/pause`, { principal: rep });
    expect(pausedAgain.status).toBe(409);
    expect((pausedAgain.body as { error: { code: string } }).error.code).toBe('conflict');

    const resumed = await stack.request('POST', `/api/campaigns/${campaign.id}/resume`, { principal: rep });
    expect(resumed.status).toBe(200);
    expect(await instantlyStatus()).toBe(1);
    const resumedAgain = await stack.request('POST', `/api/campaigns/${campaign.id}/resume`, { principal: rep });
    expect(resumedAgain.status).toBe(409);
  });

  test('Instantly outage is retried into one campaign', async () => {
    const [prospect] = await createProspects(stack, 1);
    const fault = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'instantly', fault: 'server_error', times: 2 }),
    });
    expect(fault.status).toBe(201);

    const { campaign } = await launchCampaign(stack, [prospect!.id]);

    const instantlyId = await instantlyCampaignIdOf(stack, campaign.id);
    const state = await instantlyState(stack);
    const copies = state.campaigns.filter((item) => item.name.endsWith(`[sb:${campaign.id}]`));
    expect(copies.map((item) => item.id)).toEqual([instantlyId]);
    expect(state.leads.filter((lead) => lead.email === prospect!.email)).toHaveLength(1);
  });

  test('other company sees no campaign', async () => {
    const [prospect] = await createProspects(stack, 1);
    const { campaign } = await launchCampaign(stack, [prospect!.id]);
    const other = { userId: OTHER_REP_USER_ID, organizationId: OTHER_ORGANIZATION_ID, role: 'rep' as const };

    const read = await stack.request('GET', `/api/campaigns/${campaign.id}`, { principal: other });
    const pause = await stack.request('POST', `/api/campaigns/${campaign.id}/pause`, { principal: other });
    const list = await stack.request('GET', '/api/campaigns', { principal: other });

    expect(read.status).toBe(404);
    expect(pause.status).toBe(404);
    expect((list.body as { campaigns: Array<{ id: string }> }).campaigns.map((item) => item.id)).not.toContain(
      campaign.id,
    );
  });

  test('prospect of another company is refused', async () => {
    const foreign = await stack.database.prisma.prospect.create({
      data: { organizationId: OTHER_ORGANIZATION_ID, name: 'Foreign', email: 'foreign@prospect.example' },
    });

    const created = await stack.request('POST', '/api/campaigns', {
      principal: rep,
      body: { name: 'Not mine', prospectIds: [foreign.id] },
    });

    expect(created.status).toBe(404);
    expect(await stack.database.prisma.campaign.count({ where: { name: 'Not mine' } })).toBe(0);
  });

  test('completed campaign history replays', async () => {
    const [prospect] = await createProspects(stack, 1);
    const { campaign } = await launchCampaign(stack, [prospect!.id]);
    const handle = stack.temporal.workflow.getHandle(campaignWorkflowId(campaign.id));
    expect((await stack.request('POST', `/api/campaigns/${campaign.id}/pause`, { principal: rep })).status).toBe(200);
    await handle.signal(campaignCompletedSignal);
    await handle.result();
    expect((await handle.query(campaignStateQuery)).status).toBe('completed');
    await waitFor(
      () => stack.database.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } }),
      (row) => row.status === 'completed',
      'the completed status',
    );

    const directory = process.env.SAVE_CAMPAIGN_HISTORY_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'campaign-')));
    if (process.env.SAVE_CAMPAIGN_HISTORY_DIR === undefined) scratchDirs.push(directory);
    await saveHistory(stack.temporal, handle.workflowId, directory, stack.payloadCodec);
    const [saved] = (await loadHistoryFiles(directory)).filter((item) => item.workflowId === handle.workflowId);
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, saved!.history, saved!.workflowId);
  });
});
