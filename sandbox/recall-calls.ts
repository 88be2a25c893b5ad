import { signedWebhookHeaders } from '../lib/standard-webhooks';
import { timeUtterances, speakersInOrder } from './call-timeline';
import {
  recordingTranscriptPath,
  recordingVideoPath,
  type CallScenario,
  type RecordedCall,
  type SandboxContext,
} from './context';
import { derivedToken, derivedUuid, seededRandom } from './ids';
import { deliverWebhook } from './webhook-delivery';

// A Recall bot and the call it plays: status changes at `stepDelayMs` intervals from its join time, each
// announced by a signed webhook. Deliveries of one bot go out one after another, so they arrive in
// status order unless a reorder_webhooks fault shuffles them on purpose.

export type BotStatusCode =
  'joining_call' | 'in_waiting_room' | 'in_call_not_recording' | 'in_call_recording' | 'call_ended' | 'done' | 'fatal';

export interface StatusChange {
  code: BotStatusCode;
  sub_code: string | null;
  created_at: string;
}

export interface RecallBot {
  id: string;
  meetingUrl: string;
  botName: string;
  joinAt: string | null;
  recordingConfig: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  statusChanges: StatusChange[];
  recording: RecordedCall | null;
  /** Cancels the join timer or the steps still to come. */
  pendingSteps: (() => void)[];
  deliveryTail: Promise<void>;
  /** Status webhooks held back until the call is over, set when a reorder_webhooks fault applies. */
  heldEvents: StatusChange[] | null;
}

const fullCallSteps: BotStatusCode[] = [
  'joining_call',
  'in_waiting_room',
  'in_call_not_recording',
  'in_call_recording',
  'call_ended',
  'done',
];

/** Sub-code of the fatal status in a `fatal` scenario: the bot could not find the meeting. */
export const scenarioFatalSubCode = 'meeting_not_found';

export function latestStatus(bot: RecallBot): BotStatusCode | null {
  return bot.statusChanges.at(-1)?.code ?? null;
}

export function isTerminal(bot: RecallBot): boolean {
  const status = latestStatus(bot);

  return status === 'done' || status === 'fatal';
}

/** Arms the bot's join timer: at `join_at`, or at once when it is absent or past. */
export function scheduleJoin(context: SandboxContext, bot: RecallBot): void {
  const delayMs = bot.joinAt === null ? 0 : Date.parse(bot.joinAt) - Date.now();
  const cancel = context.scheduler.after(
    delayMs,
    () => startCall(context, bot),
    (error) => logStepError(context, bot, error),
  );
  bot.pendingSteps.push(cancel);
}

function startCall(context: SandboxContext, bot: RecallBot): void {
  const scenario: CallScenario = context.scenarios.get(bot.meetingUrl) ?? {
    meetingUrl: bot.meetingUrl,
    utterances: [],
    neverJoin: false,
    fatal: false,
  };
  const stepDelayMs = scenario.stepDelayMs ?? context.stepDelayMs;
  const steps: { code: BotStatusCode; subCode: string | null }[] = scenario.neverJoin
    ? [{ code: 'joining_call', subCode: null }]
    : scenario.fatal
      ? [
          { code: 'joining_call', subCode: null },
          { code: 'fatal', subCode: scenarioFatalSubCode },
        ]
      : fullCallSteps.map((code) => ({ code, subCode: code === 'call_ended' ? 'call_ended_by_host' : null }));

  if (context.faults.take('recall', 'reorder_webhooks') !== undefined) {
    bot.heldEvents = [];
  }
  context.log.info({ botId: bot.id, steps: steps.length, stepDelayMs }, 'Recall bot started its call');

  bot.pendingSteps = steps.map((step, index) =>
    context.scheduler.after(
      index * stepDelayMs,
      () => changeStatus(context, bot, step.code, step.subCode, scenario),
      (error) => logStepError(context, bot, error),
    ),
  );
}

/** Makes a bot that is joining or in the call leave: call_ended at once, then done one step later. */
export function leaveCall(context: SandboxContext, bot: RecallBot): void {
  cancelPendingSteps(bot);
  const scenario = context.scenarios.get(bot.meetingUrl);
  const stepDelayMs = scenario?.stepDelayMs ?? context.stepDelayMs;
  changeStatus(context, bot, 'call_ended', 'bot_received_leave_call', scenario);
  bot.pendingSteps.push(
    context.scheduler.after(
      stepDelayMs,
      () => changeStatus(context, bot, 'done', null, scenario),
      (error) => logStepError(context, bot, error),
    ),
  );
}

export function cancelPendingSteps(bot: RecallBot): void {
  for (const cancel of bot.pendingSteps) {
    cancel();
  }
  bot.pendingSteps = [];
}

function changeStatus(
  context: SandboxContext,
  bot: RecallBot,
  code: BotStatusCode,
  subCode: string | null,
  scenario: CallScenario | undefined,
): void {
  const change: StatusChange = { code, sub_code: subCode, created_at: new Date().toISOString() };
  bot.statusChanges.push(change);

  if (code === 'in_call_recording') {
    bot.recording = {
      recordingId: derivedUuid('recording', bot.id),
      botId: bot.id,
      recordingStartedAt: new Date(change.created_at),
      utterances: scenario?.utterances ?? [],
    };
  }
  if (code === 'done' && bot.recording !== null) {
    // The media becomes downloadable only once the bot is done, as with Recall.
    context.recordings.set(bot.recording.recordingId, bot.recording);
  }

  if (bot.heldEvents === null) {
    queueStatusWebhook(context, bot, change);
  } else {
    bot.heldEvents.push(change);
    if (code === 'done' || code === 'fatal') {
      releaseHeldEvents(context, bot);
    }
  }
}

function releaseHeldEvents(context: SandboxContext, bot: RecallBot): void {
  const held = bot.heldEvents ?? [];
  bot.heldEvents = null;
  for (const change of shuffleDeterministically(held, bot.id)) {
    queueStatusWebhook(context, bot, change);
  }
}

/** A seeded Fisher-Yates shuffle that never returns the original order when there are two or more items. */
export function shuffleDeterministically<T>(items: readonly T[], seed: string): T[] {
  const shuffled = [...items];
  const random = seededRandom(seed);
  for (let index = shuffled.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
  }
  if (shuffled.length > 1 && shuffled.every((item, index) => item === items[index])) {
    shuffled.reverse();
  }

  return shuffled;
}

function queueStatusWebhook(context: SandboxContext, bot: RecallBot, change: StatusChange): void {
  const event = `bot.${change.code}`;
  // One message id per status change: retries and injected duplicates reuse it, as Svix does.
  const messageId = derivedToken('msg_', 'recall-status', bot.id, change.code, bot.statusChanges.indexOf(change));
  const body = JSON.stringify({
    event,
    data: {
      data: { code: change.code, sub_code: change.sub_code, updated_at: change.created_at },
      bot: { id: bot.id, metadata: bot.metadata },
    },
  });
  const copies = context.faults.take('recall', 'duplicate_webhooks') === undefined ? 1 : 2;

  for (let copy = 0; copy < copies; copy += 1) {
    bot.deliveryTail = bot.deliveryTail.then(async () => {
      await deliverWebhook(
        {
          url: context.recallWebhookUrl,
          body,
          headersForAttempt: () => svixHeaders(context.recallWebhookSecret, messageId, body),
          logFields: { botId: bot.id, event, webhookId: messageId },
        },
        { scheduler: context.scheduler, retryDelaysMs: context.webhookRetryDelaysMs, log: context.log },
      );
    });
  }
}

/** Standard Webhooks headers plus the `svix-` named copies that Svix also sends. */
function svixHeaders(secret: string, messageId: string, body: string): Record<string, string> {
  const headers = signedWebhookHeaders(secret, messageId, Math.floor(Date.now() / 1000), body);

  return {
    ...headers,
    'svix-id': headers['webhook-id'],
    'svix-timestamp': headers['webhook-timestamp'],
    'svix-signature': headers['webhook-signature'],
  };
}

function logStepError(context: SandboxContext, bot: RecallBot, error: unknown): void {
  context.log.error({ botId: bot.id, err: error }, 'Recall bot step failed');
}

/** Renders the bot in Recall's v1 JSON shape. */
export function botJson(context: SandboxContext, bot: RecallBot): Record<string, unknown> {
  const recordings =
    bot.recording !== null && latestStatus(bot) === 'done' ? [recordingJson(context, bot, bot.recording)] : [];

  return {
    id: bot.id,
    meeting_url: bot.meetingUrl,
    bot_name: bot.botName,
    join_at: bot.joinAt,
    recording_config: bot.recordingConfig,
    status_changes: bot.statusChanges,
    recordings,
    metadata: bot.metadata,
    created_at: bot.createdAt,
  };
}

function recordingJson(context: SandboxContext, bot: RecallBot, recording: RecordedCall): Record<string, unknown> {
  const completedAt = bot.statusChanges.find((change) => change.code === 'call_ended')?.created_at ?? null;
  const done = { code: 'done', sub_code: null, updated_at: completedAt };

  return {
    id: recording.recordingId,
    created_at: recording.recordingStartedAt.toISOString(),
    started_at: recording.recordingStartedAt.toISOString(),
    completed_at: completedAt,
    status: done,
    media_shortcuts: {
      transcript: {
        id: derivedUuid('transcript', recording.recordingId),
        status: done,
        data: { download_url: context.baseUrl() + recordingTranscriptPath(recording.recordingId) },
      },
      video_mixed: {
        id: derivedUuid('video_mixed', recording.recordingId),
        status: done,
        format: 'mp4',
        data: { download_url: context.baseUrl() + recordingVideoPath(recording.recordingId) },
      },
    },
  };
}

/** Recall's transcript download: one entry per utterance, word times relative to the recording start. */
export function recallTranscriptJson(recording: RecordedCall): unknown[] {
  const speakers = speakersInOrder(recording.utterances);
  const startedAtMs = recording.recordingStartedAt.getTime();
  const timestamp = (offsetMs: number) => ({
    relative: offsetMs / 1000,
    absolute: new Date(startedAtMs + offsetMs).toISOString(),
  });

  return timeUtterances(recording.utterances).map((utterance) => {
    const speakerIndex = speakers.indexOf(utterance.speaker);

    return {
      participant: {
        id: 100 + speakerIndex,
        name: utterance.speaker,
        is_host: speakerIndex === 0,
        platform: 'desktop',
        extra_data: null,
        email: null,
      },
      words: utterance.words.map((word) => ({
        text: word.text,
        start_timestamp: timestamp(word.startMs),
        end_timestamp: timestamp(word.endMs),
      })),
    };
  });
}
