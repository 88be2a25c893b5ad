import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  currentUpdateInfo,
  defineQuery,
  defineUpdate,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ProposalActivities, ProposalChanges, ProposalStatus } from '../activities/types';
import { organizationIdKey, proposalIdKey, proposalStatusKey } from '../lib/search-attributes';
import { eSignature, signatureWorkflowId } from './e-signature';

export interface ProposalInput {
  proposalId: string;
  organizationId: string;
  /** Hours after the draft at which the rep is reminded; 24 and 72 by default. */
  reminderHours?: number[];
  /** Days after the draft at which an undecided proposal expires; 14 by default. */
  expiryDays?: number;
}

export interface ProposalState {
  proposalId: string;
  status: ProposalStatus;
  latestVersion: number;
  approvedVersion?: number;
  remindersSent: number;
  /** When an undecided proposal expires, in epoch milliseconds; 0 until the draft exists. */
  expiresAtMs: number;
}

export interface ProposalDecisionResult {
  status: ProposalStatus;
  version: number;
  contentHash: string;
}

/** Failure types the decision validators raise; the API maps each to HTTP 409, except forbidden (403). */
export const ProposalRefusal = {
  Forbidden: 'forbidden',
  InvalidState: 'invalid_state',
  StaleVersion: 'stale_version',
  Expired: 'proposal_expired',
} as const;

// Decisions are Updates rather than signals, because the rep must learn at once whether the decision was
// accepted: a validator refuses an outsider, a decision in the wrong state or on a version that is not the latest.
export interface ApproveProposal {
  actorUserId: string;
  version: number;
}
export interface RejectProposal {
  actorUserId: string;
  version: number;
  reason: string;
}
export interface EditProposal {
  actorUserId: string;
  baseVersion: number;
  changes: ProposalChanges;
}

export const approveProposalUpdate = defineUpdate<ProposalDecisionResult, [ApproveProposal]>('approveProposal');
export const rejectProposalUpdate = defineUpdate<ProposalDecisionResult, [RejectProposal]>('rejectProposal');
export const editProposalUpdate = defineUpdate<{ version: number; contentHash: string }, [EditProposal]>(
  'editProposal',
);
export const proposalStateQuery = defineQuery<ProposalState>('proposalState');

export function proposalWorkflowId(proposalId: string): string {
  return `proposal-${proposalId}`;
}

const store = proxyActivities<ProposalActivities>({ startToCloseTimeout: '1 minute' });
// The draft is a model call: it heartbeats, so a lost worker is noticed long before the 10-minute budget.
const models = proxyActivities<ProposalActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});
const email = proxyActivities<ProposalActivities>({ startToCloseTimeout: '1 minute' });

const hourMs = 3_600_000;

/** Runs a proposal from a qualifying call: consent, draft, the rep's decision with reminders and expiry, then signature. */
export async function proposal(input: ProposalInput): Promise<ProposalState> {
  const { proposalId } = input;
  const reminderHours = input.reminderHours ?? [24, 72];
  const expiryDays = input.expiryDays ?? 14;
  const state: ProposalState = { proposalId, status: 'generating', latestVersion: 0, remindersSent: 0, expiresAtMs: 0 };
  let deciders = new Set<string>();
  let decision: 'approved' | 'rejected' | undefined;
  // An update in progress; validators refuse a second one until it ends, because handlers run concurrently.
  let pending: 'edit' | 'decision' | undefined;
  // The rep can open the draft as soon as its row is awaiting_decision, before the activity that wrote the
  // row has returned here. A decision sent in that moment waits for the write instead of being rejected.
  let draftRecorded = false;

  const setStatus = async (status: ProposalStatus, extra: { blockedReason?: string; documentSha256?: string } = {}) => {
    await store.recordProposalStatus({ proposalId, status, ...extra });
    state.status = status;
    upsertSearchAttributes([{ key: proposalStatusKey, value: status }]);
  };

  const validateDecider = (actorUserId: string, version: number) => {
    if (!deciders.has(actorUserId)) {
      throw ApplicationFailure.nonRetryable(
        `User ${actorUserId} may not decide on this proposal`,
        ProposalRefusal.Forbidden,
      );
    }
    if (state.status === 'expired') {
      throw ApplicationFailure.nonRetryable('The proposal has expired', ProposalRefusal.Expired);
    }
    if (state.status !== 'awaiting_decision' || pending !== undefined) {
      throw ApplicationFailure.nonRetryable(
        `The proposal is ${state.status}, not awaiting a decision`,
        ProposalRefusal.InvalidState,
      );
    }
    if (version !== state.latestVersion) {
      throw ApplicationFailure.nonRetryable(
        `Version ${version} is not the latest; the latest is ${state.latestVersion}`,
        ProposalRefusal.StaleVersion,
      );
    }
  };

  const decide = async (kind: 'approve' | 'reject', actorUserId: string, version: number, reason?: string) => {
    pending = 'decision';
    try {
      await condition(() => draftRecorded);
      const { contentHash } = await store.recordProposalDecision({
        proposalId,
        updateId: currentUpdateInfo()!.id,
        kind,
        version,
        actorUserId,
        ...(reason === undefined ? {} : { reason }),
      });
      decision = kind === 'approve' ? 'approved' : 'rejected';
      state.status = decision;
      if (kind === 'approve') state.approvedVersion = version;
      upsertSearchAttributes([{ key: proposalStatusKey, value: decision }]);

      return { status: decision, version, contentHash };
    } finally {
      pending = undefined;
    }
  };

  setHandler(proposalStateQuery, () => state);
  setHandler(approveProposalUpdate, ({ actorUserId, version }) => decide('approve', actorUserId, version), {
    validator: ({ actorUserId, version }: ApproveProposal) => validateDecider(actorUserId, version),
  });
  setHandler(
    rejectProposalUpdate,
    ({ actorUserId, version, reason }) => decide('reject', actorUserId, version, reason),
    {
      validator: ({ actorUserId, version, reason }: RejectProposal) => {
        validateDecider(actorUserId, version);
        if (reason.trim().length === 0 || reason.length > 2000) {
          throw ApplicationFailure.nonRetryable(
            'A rejection needs a reason of 1 to 2000 characters',
            'invalid_request',
          );
        }
      },
    },
  );
  setHandler(
    editProposalUpdate,
    async ({ actorUserId, baseVersion, changes }) => {
      pending = 'edit';
      try {
        await condition(() => draftRecorded);
        const edited = await store.storeProposalEdit({
          proposalId,
          updateId: currentUpdateInfo()!.id,
          actorUserId,
          baseVersion,
          changes,
        });
        state.latestVersion = edited.version;

        return edited;
      } finally {
        pending = undefined;
      }
    },
    { validator: ({ actorUserId, baseVersion }: EditProposal) => validateDecider(actorUserId, baseVersion) },
  );

  upsertSearchAttributes([
    { key: proposalIdKey, value: proposalId },
    { key: organizationIdKey, value: input.organizationId },
    { key: proposalStatusKey, value: state.status },
  ]);
  deciders = new Set((await store.loadProposalDeciders({ proposalId })).deciderUserIds);

  if (!(await consentGiven('generation'))) {
    return state;
  }
  state.latestVersion = (await models.draftProposal({ proposalId })).version;
  state.expiresAtMs = Date.now() + expiryDays * 24 * hourMs;
  state.status = 'awaiting_decision';
  await store.recordProposalStatus({ proposalId, status: 'awaiting_decision', expiresAtMs: state.expiresAtMs });
  draftRecorded = true;
  upsertSearchAttributes([{ key: proposalStatusKey, value: state.status }]);

  if (!(await decidedWithReminders())) {
    await setStatus('expired');
  } else if (decision === 'approved' && (await consentGiven('sending'))) {
    await sendForSignature();
  }
  await condition(allHandlersFinished);

  return state;

  /** Re-checks the three consent boxes; a missing box blocks the proposal with the reason the rep reads. */
  async function consentGiven(stage: 'generation' | 'sending'): Promise<boolean> {
    const { missing } = await store.checkProposalConsent({ proposalId });
    if (missing.length === 0) {
      return true;
    }
    const action = stage === 'generation' ? 'generated' : 'sent';
    await setStatus('blocked', {
      blockedReason: `Not ${action}: the company admin has not given consent for ${missing.join(', ')}`,
    });

    return false;
  }

  /** Waits for approval or rejection, reminding the rep at each reminder hour; false when the proposal expired. */
  async function decidedWithReminders(): Promise<boolean> {
    const draftedAtMs = Date.now();
    for (const [index, hours] of reminderHours.entries()) {
      const dueAtMs = draftedAtMs + hours * hourMs;
      if (dueAtMs >= state.expiresAtMs) break;
      if (await decidedBefore(dueAtMs)) return true;
      await email.sendProposalReminder({ proposalId, reminderNumber: index + 1 });
      state.remindersSent += 1;
    }

    return decidedBefore(state.expiresAtMs);
  }

  async function decidedBefore(untilMs: number): Promise<boolean> {
    while (decision === undefined && Date.now() < untilMs) {
      await condition(() => decision !== undefined || pending === 'decision', untilMs - Date.now());
      // A decision being recorded when the timer fires still counts: it was made in time.
      await condition(() => pending !== 'decision');
    }

    return decision !== undefined;
  }

  async function sendForSignature(): Promise<void> {
    try {
      const result = await executeChild(eSignature, {
        workflowId: signatureWorkflowId(proposalId),
        args: [{ proposalId, organizationId: input.organizationId }],
      });
      await setStatus(result.outcome, { documentSha256: result.documentSha256 });
    } catch (error) {
      if (error instanceof ChildWorkflowFailure || error instanceof ActivityFailure) {
        await setStatus('failed');
        return;
      }
      throw error;
    }
  }
}
