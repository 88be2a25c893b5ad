import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { AnalysisActivities, MeetingActivities, MeetingPlan } from '../activities/types';
import {
  botStatusChangedSignal,
  cancelMeetingSignal,
  type MeetingLifecycleInput,
  type MeetingState,
  meetingLifecycle,
  meetingStateQuery,
} from '../workflows/meeting-lifecycle';
import { type MeetingStatus, statusRank } from '../workflows/meeting-status';
import type { postCallAnalysis } from '../workflows/post-call-analysis';
import { useTimeSkippingServerPerTest, waitUntil } from './support/temporal';

// The meeting lifecycle workflow on the time-skipping test server, with in-memory fakes of every
// activity. The fakes keep the rows a rep would see (meeting status, failure code, bots, Sage session),
// so each test asserts on those rows rather than on the order of activity calls.
// Run `npm run temporal:setup` first: the test server binary comes from there.

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;

Runtime.install({ logger: new DefaultLogger('WARN') });

interface MeetingRow {
  plan: MeetingPlan;
  status: MeetingStatus;
  /** Every status written, in order, so a test can prove the row never moved backwards. */
  statusHistory: MeetingStatus[];
  failureCode?: string;
  botId?: string;
  sageSession: 'none' | 'issued' | 'expired';
  transcriptStored: boolean;
}

interface BotRow {
  meetingId: string;
  botName: string;
  idempotencyKey: string;
  removed: boolean;
}

interface AnalysisRow {
  status: 'running' | 'analysed' | 'failed';
  failureCode?: string;
}

/** In-memory stand-in for the product database and Recall.ai, behind the real activity signatures. */
class FakeBackend {
  readonly meetings = new Map<string, MeetingRow>();
  readonly bots = new Map<string, BotRow>();
  readonly analyses = new Map<string, AnalysisRow>();
  private releaseAnalysis: () => void = () => {};
  private readonly analysisGate: Promise<void>;

  constructor(options: { holdAnalysis?: boolean } = {}) {
    this.analysisGate = options.holdAnalysis
      ? new Promise((resolve) => {
          this.releaseAnalysis = resolve;
        })
      : Promise.resolve();
  }

  addMeeting(plan: MeetingPlan): void {
    this.meetings.set(plan.meetingId, {
      plan,
      status: 'scheduled',
      statusHistory: [],
      sageSession: 'none',
      transcriptStored: false,
    });
  }

  meeting(meetingId: string): MeetingRow {
    const row = this.meetings.get(meetingId);
    if (row === undefined) throw new Error(`meeting ${meetingId} is not in the fake database`);

    return row;
  }

  botsFor(meetingId: string): Array<BotRow & { botId: string }> {
    return [...this.bots.entries()]
      .filter(([, bot]) => bot.meetingId === meetingId)
      .map(([botId, bot]) => ({ botId, ...bot }));
  }

  /** Lets the post-call analysis held by `holdAnalysis` go on. */
  release(): void {
    this.releaseAnalysis();
  }

  activities(): MeetingActivities & AnalysisActivities {
    return {
      loadMeetingPlan: async (meetingId) => this.meeting(meetingId).plan,
      recordMeetingStatus: async ({ meetingId, status, failure }) => {
        const row = this.meeting(meetingId);
        row.status = status;
        row.statusHistory.push(status);
        row.failureCode = failure?.code;
      },
      recordBot: async ({ meetingId, botId }) => {
        this.meeting(meetingId).botId = botId;
      },
      createBot: async ({ meetingId, botName, idempotencyKey }) => {
        // Recall.ai returns the existing bot for a repeated idempotency key.
        const existing = [...this.bots.entries()].find(([, bot]) => bot.idempotencyKey === idempotencyKey);
        if (existing) return { botId: existing[0] };
        const botId = `bot-${randomUUID()}`;
        this.bots.set(botId, { meetingId, botName, idempotencyKey, removed: false });

        return { botId };
      },
      removeBot: async ({ botId }) => {
        const bot = this.bots.get(botId);
        if (bot === undefined || bot.removed) return { removed: 'already_gone' };
        bot.removed = true;

        return { removed: 'deleted' };
      },
      storeBotTranscript: async ({ meetingId }) => {
        this.meeting(meetingId).transcriptStored = true;

        return { transcriptId: `transcript-${meetingId}`, turns: 12 };
      },
      issueSageSession: async ({ meetingId }) => {
        this.meeting(meetingId).sageSession = 'issued';

        return { expiresWhen: 'call_ended' };
      },
      expireSageSession: async ({ meetingId }) => {
        const row = this.meeting(meetingId);
        if (row.sageSession === 'issued') row.sageSession = 'expired';
      },
      startAnalysis: async ({ meetingId }) => {
        this.analyses.set(meetingId, { status: 'running' });
      },
      computeConversationMetrics: async () => {
        await this.analysisGate;
      },
      analyseCallWithClaude: async () => ({ qualifies: false, score: 40 }),
      submitAudioIntelligence: async ({ meetingId }) => ({ audioTranscriptId: `audio-${meetingId}` }),
      storeAudioIntelligence: async () => ({ status: 'completed' }),
      embedTranscript: async () => ({ chunks: 3 }),
      updateProspectIntelligence: async () => {},
      recordAnalysisStep: async () => {},
      finishAnalysis: async ({ meetingId, outcome, failureCode }) => {
        this.analyses.set(meetingId, { status: outcome, failureCode });
      },
      // No consent or price book in this fake, so no proposal starts.
      openProposalForMeeting: async () => null,
    };
  }
}

const server = useTimeSkippingServerPerTest();

interface Scenario {
  backend: FakeBackend;
  meetingId: string;
  workflowId: string;
  joinAtMs: number;
  taskQueue: string;
  worker: Worker;
}

/** Creates a meeting row joining `joinInMs` from the test server's clock, and a worker on its own task queue. */
async function setUp(options: {
  mode?: MeetingPlan['mode'];
  joinInMs?: number;
  holdAnalysis?: boolean;
}): Promise<Scenario> {
  const backend = new FakeBackend({ holdAnalysis: options.holdAnalysis });
  const meetingId = randomUUID();
  const joinAtMs = (await server.env().currentTimeMs()) + (options.joinInMs ?? 0);
  backend.addMeeting({
    meetingId,
    organizationId: 'org-1',
    meetingUrl: 'https://meet.example.test/abc-defg-hij',
    mode: options.mode ?? 'record_only',
    joinAtMs,
  });
  const taskQueue = `meeting-lifecycle-${randomUUID()}`;
  const worker = await Worker.create({
    connection: server.env().nativeConnection,
    taskQueue,
    workflowBundle: server.workflowBundle(),
    activities: backend.activities(),
  });

  return { backend, meetingId, workflowId: `meeting-${meetingId}`, joinAtMs, taskQueue, worker };
}

function start(
  scenario: Scenario,
  input: Partial<MeetingLifecycleInput> = {},
): Promise<WorkflowHandle<typeof meetingLifecycle>> {
  return server.env().client.workflow.start(meetingLifecycle, {
    taskQueue: scenario.taskQueue,
    workflowId: scenario.workflowId,
    args: [{ meetingId: scenario.meetingId, organizationId: 'org-1', ...input }],
  });
}

/** Queries the workflow until `accept` returns true, or throws with the last state after 20 s of real time. */
async function waitForState(
  handle: WorkflowHandle<typeof meetingLifecycle>,
  accept: (state: MeetingState) => boolean,
): Promise<MeetingState> {
  const deadline = Date.now() + 20_000;
  let state = await handle.query(meetingStateQuery);
  while (!accept(state)) {
    if (Date.now() > deadline) throw new Error(`meeting state never matched; last state ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    state = await handle.query(meetingStateQuery);
  }

  return state;
}

/** Waits for the bot, then sends it through a call that ends normally. */
async function runCallToEnd(handle: WorkflowHandle<typeof meetingLifecycle>): Promise<string> {
  const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
  for (const code of ['joining_call', 'in_call_not_recording', 'in_call_recording', 'call_ended', 'done']) {
    await handle.signal(botStatusChangedSignal, { botId: botId!, code });
  }

  return botId!;
}

function analysisOf(meetingId: string): WorkflowHandle<typeof postCallAnalysis> {
  return server.env().client.workflow.getHandle<typeof postCallAnalysis>(`analysis-${meetingId}`);
}

async function failureOf(result: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await result.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);

  return cause as ApplicationFailure;
}

function expectNeverBackwards(history: MeetingStatus[]): void {
  const ranks = history.filter((status) => status !== 'failed' && status !== 'cancelled').map(statusRank);
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
}

describe('meeting lifecycle', () => {
  it('waits for join time before bot', async () => {
    const scenario = await setUp({ joinInMs: 3 * hourMs });
    const { backend, meetingId, worker } = scenario;

    await worker.runUntil(async () => {
      const handle = await start(scenario);
      const waiting = await waitForState(handle, () => backend.meeting(meetingId).plan !== undefined);
      // Give the workflow real time to do anything it would wrongly do before the timer fires.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stillWaiting = await handle.query(meetingStateQuery);

      expect(waiting.status).toBe('scheduled');
      expect(stillWaiting.status).toBe('scheduled');
      expect(stillWaiting.botId).toBeUndefined();
      expect(backend.botsFor(meetingId)).toHaveLength(0);

      await server.env().sleep(3 * hourMs);
      const joining = await waitForState(handle, (state) => state.botId !== undefined);

      expect(joining.status).toBe('bot_joining');
      expect(backend.botsFor(meetingId)).toHaveLength(1);
      expect(backend.meeting(meetingId).botId).toBe(joining.botId);
      expect(backend.meeting(meetingId).status).toBe('bot_joining');
      await handle.signal(cancelMeetingSignal, { requestedBy: 'rep-1' });
      await handle.result();
    });
  });

  it('keys createBot by workflow id', async () => {
    const scenario = await setUp({});
    const { backend, meetingId, worker, workflowId } = scenario;

    await worker.runUntil(async () => {
      const handle = await start(scenario);
      await runCallToEnd(handle);
      await handle.result();
      await analysisOf(meetingId).result();
    });

    expect(backend.botsFor(meetingId).map((bot) => bot.idempotencyKey)).toEqual([`${workflowId}:create-bot`]);
  });

  it.each([
    ['record_only', 'Sales Blitz Notetaker', 'none'],
    ['assisted', 'Sage — Sales Blitz', 'expired'],
    ['sage_led', 'Sage — Sales Blitz', 'expired'],
  ] as const)('%s bot name and Sage session', async (mode, botName, sageSessionAtEnd) => {
    const scenario = await setUp({ mode });
    const { backend, meetingId, worker } = scenario;

    await worker.runUntil(async () => {
      const handle = await start(scenario);
      const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'in_call_recording' });
      await waitForState(handle, (state) => state.status === 'recording');
      await waitUntil(() => backend.meeting(meetingId).sageSession !== 'none' || mode === 'record_only');

      expect(backend.meeting(meetingId).sageSession).toBe(mode === 'record_only' ? 'none' : 'issued');

      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'done' });
      await handle.result();
      await analysisOf(meetingId).result();
    });

    expect(backend.botsFor(meetingId).map((bot) => bot.botName)).toEqual([botName]);
    expect(backend.meeting(meetingId).sageSession).toBe(sageSessionAtEnd);
  });

  it('transcript stored, analysis child abandoned', async () => {
    const scenario = await setUp({ holdAnalysis: true });
    const { backend, meetingId, worker } = scenario;

    // The worker cannot shut down while the held analysis activity runs, so release it even when an
    // assertion fails.
    await worker.runUntil(async () => {
      try {
        await runChildChecks();
      } finally {
        backend.release();
      }
      await analysisOf(meetingId).result();
    });

    expect(backend.analyses.get(meetingId)?.status).toBe('analysed');

    async function runChildChecks(): Promise<void> {
      const handle = await start(scenario);
      await runCallToEnd(handle);
      const result = await handle.result();

      expect(result.status).toBe('analysing');
      expect(result.analysisWorkflowId).toBe(`analysis-${meetingId}`);
      expect(backend.meeting(meetingId).transcriptStored).toBe(true);
      expect(backend.meeting(meetingId).statusHistory).toContain('transcript_stored');
      expect((await handle.describe()).status.name).toBe('COMPLETED');

      const childDescription = await analysisOf(meetingId).describe();
      // The Java test server (1.31.0) kept a TERMINATE child running too, so the policy is also read
      // from the parent's history, where an operator sees it.
      const childStart = (await handle.fetchHistory()).events?.find(
        (event) => event.startChildWorkflowExecutionInitiatedEventAttributes,
      )?.startChildWorkflowExecutionInitiatedEventAttributes;

      expect(childStart?.workflowId).toBe(`analysis-${meetingId}`);
      expect(childStart?.parentClosePolicy).toBe(temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON);

      expect(childDescription.status.name).toBe('RUNNING');
      expect(childDescription.parentExecution?.workflowId).toBe(scenario.workflowId);
      expect(backend.analyses.get(meetingId)?.status).toBe('running');
    }
  });

  it('late or repeated signals never move backwards', async () => {
    const scenario = await setUp({});
    const { backend, meetingId, worker } = scenario;

    await worker.runUntil(async () => {
      const handle = await start(scenario);
      const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
      const send = (code: string) => handle.signal(botStatusChangedSignal, { botId: botId!, code });

      await send('in_call_recording');
      await waitForState(handle, (state) => state.status === 'recording');
      await send('joining_call');
      await send('in_waiting_room');
      await send('in_call_not_recording');
      await send('in_call_recording');
      await send('call_ended');
      await waitForState(handle, (state) => state.status === 'call_ended');
      await send('in_call_recording');
      await send('joining_call');
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect((await handle.query(meetingStateQuery)).status).toBe('call_ended');

      await send('done');
      await send('done');
      await handle.result();
      await analysisOf(meetingId).result();
    });

    const row = backend.meeting(meetingId);
    expectNeverBackwards(row.statusHistory);
    expect(row.statusHistory).toEqual(['bot_joining', 'recording', 'call_ended', 'transcript_stored']);
  });

  it('ignores signals for another bot', async () => {
    const scenario = await setUp({ joinInMs: hourMs });
    const { backend, meetingId, worker } = scenario;

    await worker.runUntil(async () => {
      const handle = await start(scenario);
      await waitForState(handle, () => true);
      // One signal before this meeting's bot exists, the rest after it joined.
      await handle.signal(botStatusChangedSignal, { botId: 'bot-of-another-meeting', code: 'in_call_recording' });
      await server.env().sleep(hourMs);
      const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'in_call_recording' });
      await waitForState(handle, (state) => state.status === 'recording');
      await handle.signal(botStatusChangedSignal, { botId: 'bot-of-another-meeting', code: 'done' });
      await handle.signal(botStatusChangedSignal, { botId: 'bot-of-another-meeting', code: 'fatal' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const state = await handle.query(meetingStateQuery);

      expect(state.status).toBe('recording');
      expect(state.botDone).toBe(false);
      expect(backend.meeting(meetingId).statusHistory).toEqual(['bot_joining', 'recording']);

      await handle.signal(cancelMeetingSignal, { requestedBy: 'rep-1' });
      await handle.result();
    });
  });

  it('bot_never_joined 15 minutes after join time', async () => {
    const scenario = await setUp({ joinInMs: 2 * hourMs });
    const { backend, meetingId, worker, joinAtMs } = scenario;

    const failure = await worker.runUntil(async () => {
      const handle = await start(scenario);
      const result = failureOf(handle.result());
      const failed = await result;
      const closedAtMs = (await handle.describe()).closeTime!.getTime();

      expect(closedAtMs - joinAtMs).toBeGreaterThanOrEqual(15 * minuteMs);
      expect(closedAtMs - joinAtMs).toBeLessThan(16 * minuteMs);

      return failed;
    });

    expect(failure.type).toBe('bot_never_joined');
    expect(backend.meeting(meetingId).status).toBe('failed');
    expect(backend.meeting(meetingId).failureCode).toBe('bot_never_joined');
    expect(backend.botsFor(meetingId).map((bot) => bot.removed)).toEqual([true]);
  });

  it('botJoinTimeoutMinutes sets the join timeout', async () => {
    const scenario = await setUp({});
    const { backend, meetingId, worker, joinAtMs } = scenario;

    await worker.runUntil(async () => {
      const handle = await start(scenario, { botJoinTimeoutMinutes: 4 });
      const failure = await failureOf(handle.result());
      const closedAtMs = (await handle.describe()).closeTime!.getTime();

      expect(failure.type).toBe('bot_never_joined');
      expect(closedAtMs - joinAtMs).toBeGreaterThanOrEqual(4 * minuteMs);
      expect(closedAtMs - joinAtMs).toBeLessThan(5 * minuteMs);
    });

    expect(backend.meeting(meetingId).failureCode).toBe('bot_never_joined');
  });

  it('waiting room past timeout is never joined', async () => {
    const scenario = await setUp({});
    const { backend, meetingId, worker } = scenario;

    const failure = await worker.runUntil(async () => {
      const handle = await start(scenario);
      const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'in_waiting_room' });
      await waitForState(handle, (state) => state.status === 'in_waiting_room');

      return failureOf(handle.result());
    });

    expect(failure.type).toBe('bot_never_joined');
    expect(backend.meeting(meetingId).status).toBe('failed');
    expect(backend.meeting(meetingId).failureCode).toBe('bot_never_joined');
    expect(backend.botsFor(meetingId).map((bot) => bot.removed)).toEqual([true]);
  });

  it('fatal bot fails with bot_failed', async () => {
    const scenario = await setUp({ mode: 'assisted' });
    const { backend, meetingId, worker } = scenario;

    const failure = await worker.runUntil(async () => {
      const handle = await start(scenario);
      const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'in_call_recording' });
      await waitUntil(() => backend.meeting(meetingId).sageSession === 'issued');
      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'fatal', subCode: 'meeting_not_found' });

      return failureOf(handle.result());
    });

    expect(failure.type).toBe('bot_failed');
    expect(backend.meeting(meetingId).status).toBe('failed');
    expect(backend.meeting(meetingId).failureCode).toBe('bot_failed');
    expect(backend.meeting(meetingId).sageSession).toBe('expired');
    expect(backend.meeting(meetingId).transcriptStored).toBe(false);
  });

  it('cancel before join time creates no bot', async () => {
    const scenario = await setUp({ joinInMs: 24 * hourMs });
    const { backend, meetingId, worker } = scenario;

    const result = await worker.runUntil(async () => {
      const handle = await start(scenario);
      await waitForState(handle, (state) => state.status === 'scheduled');
      await handle.signal(cancelMeetingSignal, { requestedBy: 'rep-1' });

      return handle.result();
    });

    expect(result.status).toBe('cancelled');
    expect(backend.meeting(meetingId).status).toBe('cancelled');
    expect(backend.botsFor(meetingId)).toHaveLength(0);
  });

  it('cancel during call removes the bot', async () => {
    const scenario = await setUp({ mode: 'sage_led' });
    const { backend, meetingId, worker } = scenario;

    const result = await worker.runUntil(async () => {
      const handle = await start(scenario);
      const { botId } = await waitForState(handle, (state) => state.botId !== undefined);
      await handle.signal(botStatusChangedSignal, { botId: botId!, code: 'in_call_recording' });
      await waitUntil(() => backend.meeting(meetingId).sageSession === 'issued');
      await handle.signal(cancelMeetingSignal, { requestedBy: 'rep-1' });

      return handle.result();
    });

    expect(result.status).toBe('cancelled');
    expect(backend.meeting(meetingId).status).toBe('cancelled');
    expect(backend.botsFor(meetingId).map((bot) => bot.removed)).toEqual([true]);
    expect(backend.meeting(meetingId).sageSession).toBe('expired');
    expect(backend.meeting(meetingId).transcriptStored).toBe(false);
  });
});
