import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../lib/campaigns/activity-types';
import { ErrorCode } from '../lib/errors';

export interface CampaignInput {
  campaignId: string;
  organizationId: string;
  /** State carried over by continue-as-new; absent on the first run. */
  carriedState?: CampaignState;
}

export type CampaignRunStatus = 'launching' | 'active' | 'paused' | 'completed';

export interface CampaignState {
  campaignId: string;
  status: CampaignRunStatus;
  instantlyCampaignId?: string;
  leadsAdded: number;
  /** Recipients left out at launch because their address was suppressed by then. */
  leadsSuppressed: number;
  /** Unsubscribed addresses added to Instantly's block list. */
  addressesBlocked: number;
  replies: number;
  bounces: number;
}

export interface RecipientEvent {
  recipientId: string;
  kind: 'sent' | 'replied' | 'bounced' | 'unsubscribed';
}

export const recipientEventSignal = defineSignal<[RecipientEvent]>('recipientEvent');
/** Instantly reported the campaign finished (`campaign_completed`). */
export const campaignCompletedSignal = defineSignal('campaignCompleted');
export const pauseCampaignUpdate = defineUpdate<CampaignState, [{ requestedBy: string }]>('pauseCampaign');
export const resumeCampaignUpdate = defineUpdate<CampaignState, [{ requestedBy: string }]>('resumeCampaign');
export const campaignStateQuery = defineQuery<CampaignState>('campaignState');

export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

const { recordCampaignStatus } = proxyActivities<CampaignActivities>({ startToCloseTimeout: '30 seconds' });

// Instantly calls are retried for up to about ten minutes; a 4xx fails at once (non-retryable).
const instantly = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 15 },
});

// Adding leads is one request per recipient, so it heartbeats instead of having one short deadline.
const { addCampaignLeads } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 15 },
});

/** Campaign: create it at Instantly, add the leads, warm up the sender, activate, then follow events. */
export async function campaign(input: CampaignInput): Promise<CampaignState> {
  const state: CampaignState = input.carriedState ?? {
    campaignId: input.campaignId,
    status: 'launching',
    leadsAdded: 0,
    leadsSuppressed: 0,
    addressesBlocked: 0,
    replies: 0,
    bounces: 0,
  };
  const unsubscribed: string[] = [];
  let completed = false;
  let changingStatus = false;

  setHandler(campaignStateQuery, () => state);
  setHandler(campaignCompletedSignal, () => {
    completed = true;
  });
  setHandler(recipientEventSignal, (event) => {
    if (event.kind === 'unsubscribed') unsubscribed.push(event.recipientId);
    if (event.kind === 'replied') state.replies += 1;
    if (event.kind === 'bounced') state.bounces += 1;
  });
  const changeTo = (next: 'active' | 'paused') => async (request: { requestedBy: string }) => {
    changingStatus = true;
    try {
      return await changeStatus(state, next, request.requestedBy);
    } finally {
      changingStatus = false;
    }
  };
  setHandler(pauseCampaignUpdate, changeTo('paused'), {
    validator: (_request) => requireStatus(state, 'active', changingStatus, 'paused'),
  });
  setHandler(resumeCampaignUpdate, changeTo('active'), {
    validator: (_request) => requireStatus(state, 'paused', changingStatus, 'resumed'),
  });

  if (state.status === 'launching') {
    await launch(state);
  }

  while (!completed) {
    await condition(() => completed || unsubscribed.length > 0 || workflowInfo().continueAsNewSuggested);
    // Instantly's block list is workspace-wide, so one entry stops the address in every campaign.
    for (const recipientId of unsubscribed.splice(0)) {
      await instantly.blockUnsubscribedAddress({ recipientId });
      state.addressesBlocked += 1;
    }
    if (!completed && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof campaign>({ ...input, carriedState: state });
    }
  }

  await condition(allHandlersFinished);
  state.status = 'completed';
  await recordCampaignStatus({ campaignId: state.campaignId, status: 'completed' });

  return state;
}

async function launch(state: CampaignState): Promise<void> {
  const { instantlyCampaignId } = await instantly.createInstantlyCampaign({ campaignId: state.campaignId });
  state.instantlyCampaignId = instantlyCampaignId;
  const leads = await addCampaignLeads({ campaignId: state.campaignId });
  state.leadsAdded = leads.added;
  state.leadsSuppressed = leads.suppressed;
  await instantly.enableSendingWarmup();
  await instantly.activateInstantlyCampaign({ campaignId: state.campaignId });
  await recordCampaignStatus({ campaignId: state.campaignId, status: 'active' });
  state.status = 'active';
  log.info('Campaign active', { campaignId: state.campaignId, leadsAdded: leads.added });
}

/** Rejects a pause or resume in the wrong state, so the API returns 409 before anything changes. */
function requireStatus(state: CampaignState, expected: CampaignRunStatus, changing: boolean, verb: string): void {
  if (changing || state.status !== expected) {
    const current = changing ? 'changing status' : state.status;
    throw ApplicationFailure.nonRetryable(
      `Campaign is ${current}; it can be ${verb} only when it is ${expected}`,
      ErrorCode.Conflict,
    );
  }
}

async function changeStatus(
  state: CampaignState,
  next: 'active' | 'paused',
  requestedBy: string,
): Promise<CampaignState> {
  if (next === 'paused') {
    await instantly.pauseInstantlyCampaign({ campaignId: state.campaignId });
  } else {
    await instantly.activateInstantlyCampaign({ campaignId: state.campaignId });
  }
  await recordCampaignStatus({ campaignId: state.campaignId, status: next, actorUserId: requestedBy });
  state.status = next;

  return state;
}
