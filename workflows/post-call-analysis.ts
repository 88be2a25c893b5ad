import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { AnalysisActivities, AnalysisStep } from '../activities/types';
import { analysisStatusKey, organizationIdKey, proposalIdKey } from '../lib/search-attributes';
import { proposal, proposalWorkflowId } from './proposal';

export interface PostCallAnalysisInput {
  meetingId: string;
  organizationId: string;
  /** Minutes to wait for AssemblyAI's completion webhook before asking for the result directly; 30 by default. */
  audioIntelligenceTimeoutMinutes?: number;
}

export interface AudioIntelligenceCompleted {
  audioTranscriptId: string;
  status: 'completed' | 'error';
}

export type StepOutcome = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface AnalysisState {
  meetingId: string;
  status: 'running' | 'analysed' | 'failed';
  steps: Record<AnalysisStep, StepOutcome>;
  qualifies?: boolean;
}

export const audioIntelligenceCompletedSignal =
  defineSignal<[AudioIntelligenceCompleted]>('audioIntelligenceCompleted');
export const analysisStateQuery = defineQuery<AnalysisState>('analysisState');

export function analysisWorkflowId(meetingId: string): string {
  return `analysis-${meetingId}`;
}

const store = proxyActivities<AnalysisActivities>({ startToCloseTimeout: '1 minute' });

// Model and embedding calls are long: they heartbeat, so a lost worker is noticed within the heartbeat
// timeout instead of after the whole start-to-close budget.
const models = proxyActivities<AnalysisActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Post-call analysis: local metrics, the Claude pass, audio intelligence and embeddings, then the prospect's record. */
export async function postCallAnalysis(input: PostCallAnalysisInput): Promise<AnalysisState> {
  const { meetingId } = input;
  const state: AnalysisState = {
    meetingId,
    status: 'running',
    steps: {
      metrics: 'pending',
      claude: 'pending',
      audio_intelligence: 'pending',
      embeddings: 'pending',
      prospect_intelligence: 'pending',
    },
  };
  let audioCompletion: AudioIntelligenceCompleted | undefined;
  // Every completed transcript id is kept, because the webhook may arrive before submitAudioIntelligence
  // returns this call's id and a stray completion for another id may arrive first.
  const completedAudioTranscriptIds = new Set<string>();

  setHandler(analysisStateQuery, () => state);
  setHandler(audioIntelligenceCompletedSignal, (completion) => {
    audioCompletion ??= completion;
    completedAudioTranscriptIds.add(completion.audioTranscriptId);
  });

  upsertSearchAttributes([{ key: analysisStatusKey, value: 'running' }]);
  await store.startAnalysis({ meetingId });

  try {
    await runStep(state, 'metrics', () => store.computeConversationMetrics({ meetingId }));
    await Promise.all([
      runStep(state, 'claude', async () => {
        const verdict = await models.analyseCallWithClaude({ meetingId });
        state.qualifies = verdict.qualifies;
      }),
      runOptionalStep(state, 'audio_intelligence', meetingId, async () => {
        const { audioTranscriptId } = await models.submitAudioIntelligence({ meetingId });
        const timeoutMinutes = input.audioIntelligenceTimeoutMinutes ?? 30;
        // The webhook normally ends this wait; without it the result is fetched anyway, so a lost
        // delivery delays the analysis but never blocks it. Runs started before this patch kept only the
        // first completion, so a stray completion for another transcript made them wait out the timeout.
        const matchesAnyCompletion = patched('audio-completion-by-transcript-id');
        await condition(
          () =>
            matchesAnyCompletion
              ? completedAudioTranscriptIds.has(audioTranscriptId)
              : audioCompletion?.audioTranscriptId === audioTranscriptId,
          timeoutMinutes * 60_000,
        );
        const stored = await models.storeAudioIntelligence({ meetingId, audioTranscriptId });
        if (stored.status !== 'completed') {
          throw ApplicationFailure.nonRetryable('Audio intelligence did not complete', `audio_${stored.status}`);
        }
      }),
      runStep(state, 'embeddings', () => models.embedTranscript({ meetingId })),
    ]);
    await runStep(state, 'prospect_intelligence', () => store.updateProspectIntelligence({ meetingId }));
  } catch (error) {
    state.status = 'failed';
    upsertSearchAttributes([{ key: analysisStatusKey, value: 'failed' }]);
    await store.finishAnalysis({ meetingId, outcome: 'failed', failureCode: failureCode(error) });
    throw error;
  }

  state.status = 'analysed';
  upsertSearchAttributes([{ key: analysisStatusKey, value: 'analysed' }]);
  await store.finishAnalysis({ meetingId, outcome: 'analysed' });
  if (state.qualifies === true && patched('start-proposal-for-qualifying-call')) {
    await startProposal(meetingId);
  }

  return state;
}

/**
 * Starts the proposal of a qualifying call. The child is abandoned, because it waits days for the rep's
 * decision while the analysis is finished; it starts even without consent, so the rep sees why it is blocked.
 */
async function startProposal(meetingId: string): Promise<void> {
  const opened = await store.openProposalForMeeting({ meetingId });
  if (opened === null) {
    return;
  }
  const { proposalId, organizationId, reminderHours, expiryDays } = opened;
  await startChild(proposal, {
    workflowId: proposalWorkflowId(proposalId),
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [{ proposalId, organizationId, reminderHours, expiryDays }],
    typedSearchAttributes: [
      { key: proposalIdKey, value: proposalId },
      { key: organizationIdKey, value: organizationId },
    ],
  });
}

async function runStep(state: AnalysisState, step: AnalysisStep, work: () => Promise<unknown>): Promise<void> {
  state.steps[step] = 'running';
  try {
    await work();
  } catch (error) {
    state.steps[step] = 'failed';
    throw error;
  }
  state.steps[step] = 'done';
}

/** Audio intelligence enriches the result; its failure is recorded and the rest of the analysis goes on. */
async function runOptionalStep(
  state: AnalysisState,
  step: AnalysisStep,
  meetingId: string,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await runStep(state, step, work);
  } catch (error) {
    await store.recordAnalysisStep({ meetingId, step, outcome: 'failed', code: failureCode(error) });
  }
}

function failureCode(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type) {
    return cause.type;
  }

  return 'analysis_failed';
}
