import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { AccountDeletionActivities } from '../activities/retention-types';

// Account deletion: a user asks to delete their account, may change their mind for 30 days, and then
// every row the account owns is deleted, its OAuth tokens are revoked and deleted, and sub-processors are
// asked to delete their copies. What is left is one audit record with counts and no personal data.

export interface AccountDeletionInput {
  userId: string;
  requestId: string;
}

export type AccountDeletionStatus = 'waiting' | 'cancelled' | 'deleting' | 'completed';

export interface AccountDeletionState {
  requestId: string;
  status: AccountDeletionStatus;
  /** Id of the audit record left behind, once deleted. */
  auditId?: string;
}

/** An Update, not a signal, so the user learns at once whether the cancellation came in time. */
export const cancelAccountDeletionUpdate = defineUpdate<AccountDeletionState, [{ requestedBy: string }]>(
  'cancelAccountDeletion',
);
export const accountDeletionStateQuery = defineQuery<AccountDeletionState>('accountDeletionState');

export function accountDeletionWorkflowId(userId: string): string {
  return `account-deletion-${userId}`;
}

/** Time the user has to cancel. */
export const deletionGracePeriod = '30 days';

const { markAccountDeletionStarted, markAccountDeletionCancelled } = proxyActivities<AccountDeletionActivities>({
  startToCloseTimeout: '30 seconds',
});

// Deleting a large account and calling every sub-processor takes minutes; heartbeats show it is alive.
const deletion = proxyActivities<AccountDeletionActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
});

export async function accountDeletion(input: AccountDeletionInput): Promise<AccountDeletionState> {
  const state: AccountDeletionState = { requestId: input.requestId, status: 'waiting' };

  setHandler(accountDeletionStateQuery, () => state);
  setHandler(
    cancelAccountDeletionUpdate,
    async () => {
      state.status = 'cancelled';
      await markAccountDeletionCancelled({ requestId: input.requestId });

      return state;
    },
    {
      validator: ({ requestedBy }) => {
        if (requestedBy !== input.userId) {
          throw new Error('Only the account owner can cancel its deletion');
        }
        if (state.status !== 'waiting') {
          throw new Error(`The deletion is already ${state.status} and can no longer be cancelled`);
        }
      },
    },
  );

  // A durable timer: the workers may restart many times in 30 days.
  await condition(() => state.status === 'cancelled', deletionGracePeriod);
  if (state.status === 'cancelled') {
    // The cancelling update records the cancellation; the user gets its answer only if it finishes first.
    await condition(allHandlersFinished);
    return state;
  }

  state.status = 'deleting';
  const { proceed } = await markAccountDeletionStarted({ requestId: input.requestId });
  if (!proceed) {
    state.status = 'cancelled';
    return state;
  }
  const connections = await deletion.revokeAccountConnections({ userId: input.userId });
  const subprocessors = await deletion.deleteAccountSubprocessorCopies({ userId: input.userId });
  const { auditId } = await deletion.deleteAccountData({
    userId: input.userId,
    requestId: input.requestId,
    subprocessors,
    connectionsRevoked: connections.revoked,
  });
  state.status = 'completed';
  state.auditId = auditId ?? undefined;

  return state;
}
