import {
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
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { MeetingActivities } from '../activities/types';
import { ErrorCode } from '../lib/errors';
import { analysisStatusKey, meetingIdKey, meetingStatusKey, organizationIdKey } from '../lib/search-attributes';
import { advanceStatus, botNameForMode, hasJoinedCall, type MeetingStatus, statusForBotCode } from './meeting-status';
import { analysisWorkflowId, postCallAnalysis } from './post-call-analysis';

export interface MeetingLifecycleInput {
  meetingId: string;
  organizationId: string;
  /** Minutes after the join time before a bot that never got into the call is given up; 15 by default. */
  botJoinTimeoutMinutes?: number;
}

export interface BotStatusChange {
  botId: string;
  code: string;
  subCode?: string | null;
}

export interface MeetingState {
  meetingId: string;
  status: MeetingStatus;
  botId?: string;
  botDone: boolean;
  failure?: { code: string; message: string };
  analysisWorkflowId?: string;
  /** Join time in epoch milliseconds once the plan is loaded; a booking's reschedule moves it until the bot is sent. */
  joinAtMs?: number;
  /** Statuses reached since the last database write, oldest first, so the timeline shows every stage. */
  unrecordedStatuses: MeetingStatus[];
}

export const botStatusChangedSignal = defineSignal<[BotStatusChange]>('botStatusChanged');
export const cancelMeetingSignal = defineSignal<[{ requestedBy: string }]>('cancelMeeting');
export const meetingStateQuery = defineQuery<MeetingState>('meetingState');
/** A new join time (epoch milliseconds), e.g. from a rescheduled Cal.com booking; ignored once the bot is sent. */
export const moveJoinTimeSignal = defineSignal<[{ joinAtMs: number }]>('moveJoinTime');

export function meetingWorkflowId(meetingId: string): string {
  return `meeting-${meetingId}`;
}

const { loadMeetingPlan, recordMeetingStatus, recordBot, issueSageSession, expireSageSession } =
  proxyActivities<MeetingActivities>({ startToCloseTimeout: '30 seconds' });

// Recall.ai calls get more attempts than the default: a bot that is not created is a lost recording.
const recall = proxyActivities<MeetingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

const recordOvertakenStatusPatch = 'record-overtaken-status';
const moveJoinTimePatch = 'move-join-time';

/** Upper bound on one call once the bot is in it; Recall.ai ends bots long before this. */
const maximumCallDuration = '12 hours';

/** Meeting lifecycle: wait for the join time, send the bot, follow it through the call, store the transcript. */
export async function meetingLifecycle(input: MeetingLifecycleInput): Promise<MeetingState> {
  const state: MeetingState = {
    meetingId: input.meetingId,
    status: 'scheduled',
    botDone: false,
    unrecordedStatuses: [],
  };
  let cancelRequested = false;
  let botFatal: BotStatusChange | undefined;

  setHandler(meetingStateQuery, () => state);
  setHandler(cancelMeetingSignal, () => {
    cancelRequested = true;
  });
  let requestedJoinAtMs: number | undefined;
  let joinTimeMoves = 0;
  setHandler(moveJoinTimeSignal, ({ joinAtMs }) => {
    if (state.botId !== undefined) {
      return;
    }
    requestedJoinAtMs = joinAtMs;
    state.joinAtMs = joinAtMs;
    joinTimeMoves += 1;
  });
  // A change that arrives before Recall.ai returns the bot id cannot be matched to this meeting's bot yet,
  // so it is held and applied once the id is known. Runs started before this patch applied any bot's change.
  const holdsEarlyChanges = patched('hold-bot-status-until-bot-id');
  const earlyChanges: BotStatusChange[] = [];
  const applyBotStatus = (change: BotStatusChange) => {
    if (change.code === 'fatal') {
      botFatal = change;
      return;
    }
    if (change.code === 'done') {
      state.botDone = true;
    }
    const next = statusForBotCode(change.code);
    if (next !== undefined) {
      moveForward(state, next);
    }
  };
  setHandler(botStatusChangedSignal, (change) => {
    if (state.botId === undefined && holdsEarlyChanges) {
      earlyChanges.push(change);
      return;
    }
    if (state.botId !== undefined && change.botId !== state.botId) {
      return;
    }
    applyBotStatus(change);
  });

  const plan = await loadMeetingPlan(input.meetingId);
  const joinTimeoutMs = (input.botJoinTimeoutMinutes ?? 15) * 60_000;

  // A durable timer: the worker may restart many times before the join time.
  let joinAtMs = plan.joinAtMs;
  if (patched(moveJoinTimePatch)) {
    state.joinAtMs = requestedJoinAtMs ?? plan.joinAtMs;
    for (;;) {
      const untilJoin = state.joinAtMs - Date.now();
      const movesSeen = joinTimeMoves;
      if (cancelRequested || untilJoin <= 0) {
        break;
      }
      await condition(() => cancelRequested || joinTimeMoves !== movesSeen, untilJoin);
    }
    joinAtMs = state.joinAtMs;
  } else {
    // Runs started before the patch wait for the planned time only; they replay that way.
    const untilJoin = plan.joinAtMs - Date.now();
    if (untilJoin > 0) {
      await condition(() => cancelRequested, untilJoin);
    }
  }
  if (cancelRequested) {
    return finish(state, 'cancelled');
  }

  const { botId } = await recall.createBot({
    meetingId: plan.meetingId,
    organizationId: plan.organizationId,
    meetingUrl: plan.meetingUrl,
    botName: botNameForMode(plan.mode),
    idempotencyKey: `${workflowInfo().workflowId}:create-bot`,
  });
  state.botId = botId;
  moveForward(state, 'bot_joining');
  earlyChanges.filter((change) => change.botId === botId).forEach(applyBotStatus);
  await recordBot({ meetingId: plan.meetingId, botId });
  let persisted = await persistStatus(state, 'scheduled');

  const joinDeadlineMs = joinAtMs + joinTimeoutMs;
  while (!hasJoinedCall(state.status) && !state.botDone) {
    const remaining = joinDeadlineMs - Date.now();
    const woke =
      remaining > 0 &&
      (await condition(() => cancelRequested || botFatal !== undefined || state.status !== persisted, remaining));
    persisted = await persistStatus(state, persisted);
    if (cancelRequested || botFatal !== undefined) {
      break;
    }
    if (!woke) {
      await recall.removeBot({ botId });
      return fail(
        state,
        ErrorCode.BotNeverJoined,
        `The bot did not get into the call within ${joinTimeoutMs / 60_000} minutes of the join time`,
      );
    }
  }

  if (plan.mode !== 'record_only' && !cancelRequested && botFatal === undefined) {
    await issueSageSession({ meetingId: plan.meetingId });
  }

  while (!state.botDone && !cancelRequested && botFatal === undefined) {
    const woke = await condition(
      () => cancelRequested || botFatal !== undefined || state.botDone || state.status !== persisted,
      maximumCallDuration,
    );
    persisted = await persistStatus(state, persisted);
    if (!woke) {
      await recall.removeBot({ botId });
      return fail(state, ErrorCode.BotFailed, 'The bot did not report the end of the call within 12 hours');
    }
  }

  if (plan.mode !== 'record_only') {
    await expireSageSession({ meetingId: plan.meetingId });
  }
  if (cancelRequested) {
    await recall.removeBot({ botId });
    return finish(state, 'cancelled');
  }
  if (botFatal !== undefined) {
    return fail(state, ErrorCode.BotFailed, `The bot failed (${botFatal.subCode ?? 'no reason given'})`);
  }

  persisted = await persistStatus(state, persisted);
  await recall.storeBotTranscript({ meetingId: plan.meetingId, botId });
  moveForward(state, 'transcript_stored');
  persisted = await persistStatus(state, persisted);

  // The analysis outlives this workflow: ABANDON keeps it running after the meeting workflow completes.
  const analysis = await startChild(postCallAnalysis, {
    workflowId: analysisWorkflowId(plan.meetingId),
    args: [{ meetingId: plan.meetingId, organizationId: plan.organizationId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    // Operators find both workflows of a meeting with one query: MeetingId = "…".
    typedSearchAttributes: [
      { key: meetingIdKey, value: plan.meetingId },
      { key: organizationIdKey, value: plan.organizationId },
      { key: analysisStatusKey, value: 'pending' },
    ],
  });
  state.analysisWorkflowId = analysis.workflowId;
  state.status = 'analysing';
  upsertSearchAttributes([{ key: meetingStatusKey, value: state.status }]);

  return state;
}

function moveForward(state: MeetingState, proposed: MeetingStatus): void {
  const next = advanceStatus(state.status, proposed);
  if (next !== state.status) {
    state.status = next;
    state.unrecordedStatuses.push(next);
  }
}

/** Writes the current status if it changed; returns the status written, which a signal may already have overtaken. */
async function persistStatus(state: MeetingState, persisted: MeetingStatus): Promise<MeetingStatus> {
  const status = state.status;
  if (status === persisted) {
    return persisted;
  }
  // Signals can move the meeting through several stages during one write; each still gets its timeline row.
  const passedThrough = state.unrecordedStatuses.splice(0).filter((reached) => reached !== status);
  await recordMeetingStatus({ meetingId: state.meetingId, status, passedThrough });
  // Runs started before this patch returned the newer status as written, skipping its row; they replay that way.
  const written = patched(recordOvertakenStatusPatch) ? status : state.status;
  upsertSearchAttributes([{ key: meetingStatusKey, value: written }]);

  return written;
}

async function finish(state: MeetingState, status: 'cancelled'): Promise<MeetingState> {
  state.status = status;
  await recordMeetingStatus({ meetingId: state.meetingId, status });
  upsertSearchAttributes([{ key: meetingStatusKey, value: status }]);

  return state;
}

/** Records the failure, then fails the workflow so operators find it under ExecutionStatus = "Failed". */
async function fail(state: MeetingState, code: string, message: string): Promise<never> {
  state.status = 'failed';
  state.failure = { code, message };
  await recordMeetingStatus({ meetingId: state.meetingId, status: 'failed', failure: state.failure });
  upsertSearchAttributes([{ key: meetingStatusKey, value: 'failed' }]);

  throw ApplicationFailure.nonRetryable(message, code, { meetingId: state.meetingId });
}
