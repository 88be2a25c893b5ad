import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SignatureActivities, TOAuthProviderName, TSigningPath } from '../activities/signature-types';
import { signatureStatusKey } from '../lib/search-attributes';

export interface SignatureEvent {
  source: 'built_in' | 'docusign' | 'pandadoc';
  status: 'delivered' | 'viewed' | 'signed' | 'declined' | 'voided';
  eventId: string;
  occurredAtMs: number;
}

export type TSignatureOutcome = 'signed' | 'declined' | 'voided' | 'expired';
export type TSignatureStatus =
  'preparing' | 'waiting_for_reconnect' | 'sent' | 'delivered' | 'viewed' | TSignatureOutcome | 'failed';

export interface SignatureState {
  proposalId: string;
  signingPath?: TSigningPath;
  status: TSignatureStatus;
  documentSha256?: string;
  signedDocumentSha256?: string;
  /** The provider whose connection the rep must reconnect before the flow goes on. */
  waitingForReconnect?: TOAuthProviderName;
  expiresAtMs?: number;
}

export const signatureEventSignal = defineSignal<[SignatureEvent]>('signatureEvent');
export const oauthReconnectedSignal = defineSignal<[{ provider: TOAuthProviderName }]>('oauthReconnected');
export const signatureStateQuery = defineQuery<SignatureState>('signatureState');

export function signatureWorkflowId(proposalId: string): string {
  return `signature-${proposalId}`;
}

const store = proxyActivities<SignatureActivities>({ startToCloseTimeout: '1 minute' });

// Sends reach outside services: more attempts with backoff, so a provider outage of minutes is ridden out.
const send = proxyActivities<SignatureActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const dayMs = 86_400_000;
const progressRank: Record<TSignatureStatus, number> = {
  preparing: 0,
  waiting_for_reconnect: 0,
  sent: 1,
  delivered: 2,
  viewed: 3,
  signed: 4,
  declined: 4,
  voided: 4,
  expired: 4,
  failed: 4,
};
const reconnectFailureTypes = ['oauth_reconnect_required', 'oauth_not_connected'];

/** E-signature: render the approved IO, send it by the company's signing path, wait until it is signed or ends. */
export async function eSignature(input: {
  proposalId: string;
  organizationId: string;
}): Promise<{ outcome: TSignatureOutcome; documentSha256: string }> {
  const state: SignatureState = { proposalId: input.proposalId, status: 'preparing' };
  const seenEventIds = new Set<string>();
  const reconnected = new Set<TOAuthProviderName>();
  // A signer can act on the link before the send step has returned, so the furthest reported stage is kept
  // and applied once the document counts as sent.
  let reported: SignatureEvent['status'] | undefined;

  setHandler(signatureStateQuery, () => state);
  setHandler(oauthReconnectedSignal, ({ provider }) => {
    reconnected.add(provider);
  });
  setHandler(signatureEventSignal, (event) => {
    // Providers deliver late and out of order: a repeat, another path's event or an older stage changes nothing.
    if (seenEventIds.has(event.eventId) || event.source !== state.signingPath) {
      return;
    }
    seenEventIds.add(event.eventId);
    if (reported === undefined || progressRank[event.status] > progressRank[reported]) {
      reported = event.status;
    }
    if (progressRank[event.status] > progressRank[state.status] && progressRank[state.status] >= 1) {
      setStatus(state, event.status);
    }
  });

  const plan = await store.loadSignaturePlan({ proposalId: input.proposalId });
  state.signingPath = plan.signingPath;
  setStatus(state, 'preparing');
  const document = await store.renderInsertionOrderDocument({ proposalId: input.proposalId });
  state.documentSha256 = document.sha256;
  const expiresAtMs = Date.now() + plan.signingLinkTtlDays * dayMs;
  state.expiresAtMs = expiresAtMs;

  const retryAfterReconnect = async <T>(step: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await step();
      } catch (error) {
        const provider = reconnectProviderOf(error);
        if (provider === undefined) {
          throw error;
        }
        // One wait per refusal: the rep reconnecting is the only thing that can make the next attempt succeed.
        reconnected.delete(provider);
        const previous = state.status;
        state.waitingForReconnect = provider;
        setStatus(state, 'waiting_for_reconnect');
        const resumed = await condition(() => reconnected.has(provider), Math.max(expiresAtMs - Date.now(), 1));
        state.waitingForReconnect = undefined;
        setStatus(state, previous);
        if (!resumed) {
          throw ApplicationFailure.nonRetryable(
            `The ${provider} connection was not reconnected in time`,
            'oauth_reconnect_timeout',
          );
        }
      }
    }
  };

  let sentSomething = false;
  try {
    if (plan.signingPath === 'built_in') {
      await retryAfterReconnect(() =>
        send.sendBuiltInSigningRequest({ proposalId: input.proposalId, documentId: document.documentId, expiresAtMs }),
      );
    } else {
      const provider = plan.signingPath;
      const target = { proposalId: input.proposalId, documentId: document.documentId };
      await retryAfterReconnect<unknown>(() =>
        provider === 'docusign' ? send.createDocusignEnvelope(target) : send.createPandadocDocument(target),
      );
      sentSomething = true;
      await retryAfterReconnect(() => send.sendCoverEmail({ proposalId: input.proposalId, provider }));
    }
    sentSomething = true;
    await store.recordSignatureSent({ proposalId: input.proposalId, documentSha256: document.sha256 });
    setStatus(state, reported ?? 'sent');
  } catch (error) {
    if (sentSomething) {
      // Compensation: a document whose sending did not complete must not be signable.
      await send.closeSentDocument({ proposalId: input.proposalId, path: plan.signingPath, reason: 'voided' });
      await store.recordSignatureOutcome({ proposalId: input.proposalId, path: plan.signingPath, outcome: 'voided' });
    }
    setStatus(state, sentSomething ? 'voided' : 'failed');
    throw error;
  }

  const ended = await condition(() => progressRank[state.status] === 4, Math.max(expiresAtMs - Date.now(), 1));
  if (!ended) {
    // A provider may have recorded the end without a webhook reaching us, and its status takes precedence.
    const { result } = await send.closeSentDocument({
      proposalId: input.proposalId,
      path: plan.signingPath,
      reason: 'expired',
    });
    setStatus(state, result === 'closed' ? 'expired' : result);
  }
  const outcome = state.status as TSignatureOutcome;
  if (outcome === 'signed') {
    const signed = await send.storeSignedDocument({ proposalId: input.proposalId, path: plan.signingPath });
    state.signedDocumentSha256 = signed.sha256;
  }
  await store.recordSignatureOutcome({ proposalId: input.proposalId, path: plan.signingPath, outcome });

  return { outcome, documentSha256: document.sha256 };
}

function setStatus(state: SignatureState, status: TSignatureStatus): void {
  state.status = status;
  upsertSearchAttributes([{ key: signatureStatusKey, value: status }]);
}

/** The provider to reconnect when an activity failed because the rep's OAuth connection needs them. */
function reconnectProviderOf(error: unknown): TOAuthProviderName | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) {
    return undefined;
  }
  const cause = error.cause;
  if (cause.type === null || cause.type === undefined || !reconnectFailureTypes.includes(cause.type)) {
    return undefined;
  }
  const [details] = (cause.details ?? []) as Array<{ provider?: TOAuthProviderName } | undefined>;

  return details?.provider;
}
