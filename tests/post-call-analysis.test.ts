import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { AnalysisActivities, AnalysisStep } from '../activities/types';
import { ErrorCode } from '../lib/errors';
import {
  analysisStateQuery,
  audioIntelligenceCompletedSignal,
  postCallAnalysis,
  type PostCallAnalysisInput,
} from '../workflows/post-call-analysis';
import { useTimeSkippingServerPerTest, waitUntil } from './support/temporal';

// The post-call analysis workflow on the time-skipping test server, with in-memory fakes of its
// activities. The fakes keep what a rep would see (the analysis row, its failure code, each step's
// recorded outcome), so tests assert on those rows and on the workflow's state query.
// Run `npm run temporal:setup` first: the test server binary comes from there.

const minuteMs = 60_000;

Runtime.install({ logger: new DefaultLogger('WARN') });

type AudioOutcome = 'completed' | 'error' | 'processing';

interface AnalysisRow {
  status: 'running' | 'analysed' | 'failed';
  failureCode?: string;
  /** Outcomes written by recordAnalysisStep, with their failure codes. */
  recordedSteps: Partial<Record<AnalysisStep, { outcome: string; code: string }>>;
  audioTranscriptId?: string;
  audioIntelligenceStored: boolean;
  prospectUpdated: boolean;
}

/** In-memory stand-in for the product database, Claude, AssemblyAI and Gemini behind the real activity signatures. */
class FakeAnalysisBackend {
  readonly analyses = new Map<string, AnalysisRow>();

  constructor(
    private readonly options: {
      /** Status the fake AssemblyAI returns when the result is fetched. */
      audioOutcome?: AudioOutcome;
      /** Failure type the fake Claude activity throws as non-retryable, if any. */
      claudeFailure?: string;
    } = {},
  ) {}

  analysis(meetingId: string): AnalysisRow {
    const row = this.analyses.get(meetingId);
    if (row === undefined) throw new Error(`analysis for meeting ${meetingId} is not in the fake database`);

    return row;
  }

  activities(): AnalysisActivities {
    return {
      startAnalysis: async ({ meetingId }) => {
        this.analyses.set(meetingId, {
          status: 'running',
          recordedSteps: {},
          audioIntelligenceStored: false,
          prospectUpdated: false,
        });
      },
      computeConversationMetrics: async () => {},
      analyseCallWithClaude: async () => {
        if (this.options.claudeFailure !== undefined) {
          throw ApplicationFailure.nonRetryable('Claude stopped at max_tokens', this.options.claudeFailure);
        }

        return { qualifies: true, score: 82 };
      },
      submitAudioIntelligence: async ({ meetingId }) => {
        const audioTranscriptId = `audio-${randomUUID()}`;
        this.analysis(meetingId).audioTranscriptId = audioTranscriptId;

        return { audioTranscriptId };
      },
      storeAudioIntelligence: async ({ meetingId }) => {
        const status = this.options.audioOutcome ?? 'completed';
        if (status === 'completed') this.analysis(meetingId).audioIntelligenceStored = true;

        return { status };
      },
      embedTranscript: async () => ({ chunks: 4 }),
      updateProspectIntelligence: async ({ meetingId }) => {
        this.analysis(meetingId).prospectUpdated = true;
      },
      recordAnalysisStep: async ({ meetingId, step, outcome, code }) => {
        this.analysis(meetingId).recordedSteps[step] = { outcome, code };
      },
      finishAnalysis: async ({ meetingId, outcome, failureCode }) => {
        const row = this.analysis(meetingId);
        row.status = outcome;
        row.failureCode = failureCode;
      },
      // No consent or price book in this fake, so no proposal starts.
      openProposalForMeeting: async () => null,
    };
  }
}

const server = useTimeSkippingServerPerTest();

interface Scenario {
  backend: FakeAnalysisBackend;
  meetingId: string;
  worker: Worker;
  start: (input?: Partial<PostCallAnalysisInput>) => Promise<WorkflowHandle<typeof postCallAnalysis>>;
}

async function setUp(options: ConstructorParameters<typeof FakeAnalysisBackend>[0] = {}): Promise<Scenario> {
  const backend = new FakeAnalysisBackend(options);
  const meetingId = randomUUID();
  const taskQueue = `post-call-analysis-${randomUUID()}`;
  const worker = await Worker.create({
    connection: server.env().nativeConnection,
    taskQueue,
    workflowBundle: server.workflowBundle(),
    activities: backend.activities(),
  });
  const start = (input: Partial<PostCallAnalysisInput> = {}) =>
    server.env().client.workflow.start(postCallAnalysis, {
      taskQueue,
      workflowId: `analysis-${meetingId}`,
      args: [{ meetingId, organizationId: 'org-1', ...input }],
    });

  return { backend, meetingId, worker, start };
}

/** Returns the workflow's run time in workflow (skipped) time, from start to close. */
async function runTimeMs(handle: WorkflowHandle<typeof postCallAnalysis>): Promise<number> {
  const description = await handle.describe();

  return description.closeTime!.getTime() - description.startTime.getTime();
}

describe('post-call analysis', () => {
  it('all steps succeed: analysed', async () => {
    const { backend, meetingId, worker, start } = await setUp();

    await worker.runUntil(async () => {
      const handle = await start();
      await waitUntil(() => backend.analyses.get(meetingId)?.audioTranscriptId !== undefined);
      const audioTranscriptId = backend.analysis(meetingId).audioTranscriptId!;
      await handle.signal(audioIntelligenceCompletedSignal, { audioTranscriptId, status: 'completed' });
      const result = await handle.result();
      const state = await handle.query(analysisStateQuery);

      expect(result.status).toBe('analysed');
      expect(result.qualifies).toBe(true);
      expect(state.status).toBe('analysed');
      expect(state.steps).toEqual({
        metrics: 'done',
        claude: 'done',
        audio_intelligence: 'done',
        embeddings: 'done',
        prospect_intelligence: 'done',
      });
      // The webhook ended the wait, so the run did not sit out the 30-minute timeout.
      expect(await runTimeMs(handle)).toBeLessThan(30 * minuteMs);
    });

    const row = backend.analysis(meetingId);
    expect(row.status).toBe('analysed');
    expect(row.failureCode).toBeUndefined();
    expect(row.audioIntelligenceStored).toBe(true);
    expect(row.prospectUpdated).toBe(true);
    expect(row.recordedSteps).toEqual({});
  });

  it('missing webhook: fetches after timeout', async () => {
    const { backend, meetingId, worker, start } = await setUp();

    await worker.runUntil(async () => {
      const handle = await start();
      const result = await handle.result();

      expect(result.status).toBe('analysed');
      expect(result.steps.audio_intelligence).toBe('done');
      expect(await runTimeMs(handle)).toBeGreaterThanOrEqual(30 * minuteMs);
      expect(await runTimeMs(handle)).toBeLessThan(31 * minuteMs);
    });

    expect(backend.analysis(meetingId).status).toBe('analysed');
    expect(backend.analysis(meetingId).audioIntelligenceStored).toBe(true);
  });

  it('audioIntelligenceTimeoutMinutes sets the wait', async () => {
    const { backend, meetingId, worker, start } = await setUp();

    await worker.runUntil(async () => {
      const handle = await start({ audioIntelligenceTimeoutMinutes: 5 });
      await handle.result();

      expect(await runTimeMs(handle)).toBeGreaterThanOrEqual(5 * minuteMs);
      expect(await runTimeMs(handle)).toBeLessThan(6 * minuteMs);
    });

    expect(backend.analysis(meetingId).status).toBe('analysed');
  });

  it('audio intelligence error: still analysed', async () => {
    const { backend, meetingId, worker, start } = await setUp({ audioOutcome: 'error' });

    await worker.runUntil(async () => {
      const handle = await start();
      await waitUntil(() => backend.analyses.get(meetingId)?.audioTranscriptId !== undefined);
      const audioTranscriptId = backend.analysis(meetingId).audioTranscriptId!;
      await handle.signal(audioIntelligenceCompletedSignal, { audioTranscriptId, status: 'error' });
      const result = await handle.result();

      expect(result.status).toBe('analysed');
      expect(result.steps.audio_intelligence).toBe('failed');
      expect(result.steps.claude).toBe('done');
      expect(result.steps.embeddings).toBe('done');
      expect(result.steps.prospect_intelligence).toBe('done');
    });

    const row = backend.analysis(meetingId);
    expect(row.status).toBe('analysed');
    expect(row.recordedSteps.audio_intelligence).toEqual({ outcome: 'failed', code: 'audio_error' });
    expect(row.audioIntelligenceStored).toBe(false);
    expect(row.prospectUpdated).toBe(true);
  });

  it('Claude output truncated: analysis failed', async () => {
    const { backend, meetingId, worker, start } = await setUp({ claudeFailure: ErrorCode.ModelOutputTruncated });

    const failure = await worker.runUntil(async () => {
      const handle = await start();
      const error = await handle.result().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      const state = await handle.query(analysisStateQuery);

      expect(state.status).toBe('failed');
      expect(state.steps.claude).toBe('failed');
      expect(state.steps.prospect_intelligence).toBe('pending');

      return error;
    });

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const row = backend.analysis(meetingId);
    expect(row.status).toBe('failed');
    expect(row.failureCode).toBe('model_output_truncated');
    expect(row.prospectUpdated).toBe(false);
  });

  it('ignores completion for another audio transcript', async () => {
    const { backend, meetingId, worker, start } = await setUp();

    await worker.runUntil(async () => {
      const handle = await start();
      await waitUntil(() => backend.analyses.get(meetingId)?.audioTranscriptId !== undefined);
      const audioTranscriptId = backend.analysis(meetingId).audioTranscriptId!;
      await handle.signal(audioIntelligenceCompletedSignal, {
        audioTranscriptId: 'audio-of-another-call',
        status: 'completed',
      });
      // Real time for the workflow to act on the stray completion if it wrongly would.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const waiting = await handle.query(analysisStateQuery);

      expect(waiting.steps.audio_intelligence).toBe('running');
      expect(backend.analysis(meetingId).audioIntelligenceStored).toBe(false);

      // The completion for this call's transcript still ends the wait after the stray one.
      await handle.signal(audioIntelligenceCompletedSignal, { audioTranscriptId, status: 'completed' });
      const result = await handle.result();

      expect(result.status).toBe('analysed');
      expect(await runTimeMs(handle)).toBeLessThan(30 * minuteMs);
    });

    expect(backend.analysis(meetingId).audioIntelligenceStored).toBe(true);
  });
});
