import { randomInt } from 'node:crypto';
import { mintLocalToken } from '../api/auth';
import type { ParsedTranscript } from '../lib/transcript/types';
import { DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import type { Stack } from './stack';

// The main job: a recorded call becomes post-call intelligence, through the product's own doors. The
// rep's token creates the meeting over HTTP. The Recall.ai sandbox plays the call from the transcript
// file and reports the bot's progress to the webhook. The result is read back over HTTP.

export interface MainJobResult {
  meetingId: string;
  workflowId: string;
  status: string;
  speakers: number;
  turns: number;
  metrics: unknown;
  qualification: unknown;
  followUpEmail: { subject: string; body: string } | null;
  temporalWebUrl: string;
}

const progressLabels: Record<string, string> = {
  scheduled: 'Meeting scheduled',
  bot_joining: 'Bot joining the call',
  in_waiting_room: 'Bot in the waiting room',
  in_call: 'Bot in the call',
  recording: 'Recording',
  call_ended: 'Call ended',
  transcript_stored: 'Transcript stored',
  analysing: 'Analysing',
  analysed: 'Analysis complete',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const stepLabels: Record<string, string> = {
  metrics: 'conversation metrics',
  claude: 'Claude qualification and follow-up email',
  audio_intelligence: 'AssemblyAI audio intelligence',
  embeddings: 'Gemini embeddings',
  prospect_intelligence: 'prospect intelligence updated',
};

export async function runMainJob(options: {
  stack: Stack;
  transcript: ParsedTranscript;
  progress: (line: string) => void;
  timeoutMs?: number;
  pollMs?: number;
}): Promise<MainJobResult> {
  const { stack, transcript, progress } = options;
  const token = await mintLocalToken(stack.config, {
    userId: DEMO_REP_USER_ID,
    organizationId: DEMO_ORGANIZATION_ID,
    role: 'rep',
  });
  const api = apiClient(stack.apiUrl, token);

  // A fresh meeting address per run, so the sandbox plays this transcript for this meeting only.
  const meetingUrl = `https://zoom.us/j/${randomInt(1e9, 1e10)}`;
  await postJson(`${stack.sandbox.url}/_sandbox/recall/scenarios`, { meetingUrl, utterances: transcript.utterances });

  const created = (await api('POST', '/api/meetings', {
    meetingUrl,
    mode: 'record_only',
    title: 'Recorded call',
    prospectId: DEMO_PROSPECT_ID,
  })) as { meeting: { id: string }; workflowId: string; temporalWebUrl: string };
  const meetingId = created.meeting.id;
  progress(`Meeting ${meetingId} created (workflow ${created.workflowId})`);

  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  const shown = new Set<string>();
  progress(progressLabels.scheduled!);
  for (;;) {
    const { meeting } = (await api('GET', `/api/meetings/${meetingId}`)) as {
      meeting: { timeline: Array<{ status: string; at: string }> };
    };
    const intelligence = (await api('GET', `/api/meetings/${meetingId}/intelligence`)) as IntelligenceResponse;
    // Status changes and finished analysis steps, merged in the order they happened.
    const events = [
      ...meeting.timeline.map((change, index) => ({
        key: `status:${index}`,
        at: change.at,
        line: progressLabels[change.status] ?? change.status,
      })),
      ...Object.entries(intelligence.steps).map(([step, record]) => ({
        key: `step:${step}`,
        at: record.finishedAt,
        line: `  ${record.outcome}: ${stepLabels[step] ?? step} (${record.durationMs} ms)`,
      })),
    ].sort((left, right) => Date.parse(left.at) - Date.parse(right.at));
    for (const event of events.filter((candidate) => !shown.has(candidate.key))) {
      shown.add(event.key);
      progress(event.line);
    }
    if (
      intelligence.status === 'analysed' ||
      intelligence.meetingStatus === 'failed' ||
      intelligence.status === 'failed'
    ) {
      if (intelligence.status !== 'analysed') {
        throw new Error(
          `The meeting ended ${intelligence.meetingStatus} (${intelligence.failureCode ?? 'no code'}); see ${created.temporalWebUrl}`,
        );
      }

      return {
        meetingId,
        workflowId: created.workflowId,
        status: intelligence.status,
        speakers: intelligence.transcript?.speakers ?? 0,
        turns: intelligence.transcript?.turns ?? 0,
        metrics: intelligence.metrics,
        qualification: intelligence.qualification,
        followUpEmail: intelligence.followUpEmail,
        temporalWebUrl: intelligence.temporalWebUrl,
      };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The meeting did not finish in time (last status ${intelligence.meetingStatus}); see ${created.temporalWebUrl}`,
      );
    }
    // Two requests a poll every 400 ms stay within the API's default of 300 requests a minute per user.
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 400));
  }
}

interface IntelligenceResponse {
  meetingStatus: string;
  status: string;
  failureCode: string | null;
  transcript: { speakers: number; turns: number } | null;
  metrics: unknown;
  qualification: unknown;
  followUpEmail: { subject: string; body: string } | null;
  steps: Record<string, { outcome: string; durationMs: number; finishedAt: string }>;
  temporalWebUrl: string;
}

export type ApiCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

/** Calls the API with a user's token; a 429 is waited out (Retry-After, at most 5 times) as any API client should. */
export function apiClient(baseUrl: string, token: string): ApiCall {
  return async (method, path, body) => {
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status !== 429 || attempt === 5) {
        break;
      }
      const retryAfterSeconds = Number(response.headers.get('retry-after') ?? '1');
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, retryAfterSeconds) * 1000));
    }
    const payload = (await response.json()) as { error?: { code: string; message: string } };
    if (!response.ok) {
      throw new Error(`${method} ${path} failed with ${response.status}: ${payload.error?.message ?? 'no message'}`);
    }

    return payload;
  };
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`POST ${url} failed with ${response.status}: ${await response.text()}`);
  }
}
