import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import { analysisWorkflowId } from '../workflows/post-call-analysis';
import { startTestStack, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

// AssemblyAI completion webhooks against the real app, database and Temporal. The sandbox delays its own
// completion by 30 seconds, so the analysis workflow is still waiting when the test delivers one.

const rep = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' as const };

// Long enough that the test's deliveries come first, short enough that the sandbox's own delivery (a
// duplicate by then) does not hold up the stack's shutdown for long.
const sandboxCompletionDelayMs = 30_000;

let stack: TestStack;
let audioTranscriptId: string;
let meetingId: string;

beforeAll(async () => {
  stack = await startTestStack({ sandboxOptions: { audioWebhookDelayMs: sandboxCompletionDelayMs } });
  ({ meetingId, audioTranscriptId } = await playCallUntilAudioSubmitted());
});

afterAll(async () => {
  await stack?.stop();
});

/** Plays a short call through the sandbox and waits until the analysis has submitted its audio to AssemblyAI. */
async function playCallUntilAudioSubmitted(): Promise<{ meetingId: string; audioTranscriptId: string }> {
  const meetingUrl = `https://zoom.us/j/${randomInt(1e9, 1e10)}`;
  const utterances = [
    { speaker: 'Riley', text: 'Thanks for joining. What does your team use for call notes today?' },
    { speaker: 'Dana', text: 'Mostly shared documents, and we lose a lot of detail.' },
    { speaker: 'Riley', text: 'Who else would weigh in on a change like this?' },
    { speaker: 'Dana', text: 'Our head of sales signs off on anything over ten thousand a year.' },
  ];
  const scenario = await fetch(`${stack.sandbox.url}/_sandbox/recall/scenarios`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ meetingUrl, utterances }),
  });
  expect(scenario.status).toBe(201);

  const created = await stack.request('POST', '/api/meetings', {
    principal: rep,
    body: { meetingUrl, prospectId: DEMO_PROSPECT_ID },
  });
  expect(created.status).toBe(201);
  const id = (created.body as { meeting: { id: string } }).meeting.id;
  const intelligence = await waitFor(
    () => stack.database.prisma.callIntelligence.findUnique({ where: { meetingId: id } }),
    (row) => row?.audioTranscriptId != null,
    'the audio transcript id to be stored',
  );

  return { meetingId: id, audioTranscriptId: intelligence!.audioTranscriptId! };
}

/** The JSON the webhook endpoint returns: an outcome on success, an error otherwise. */
interface WebhookReply {
  outcome?: 'signalled' | 'duplicate' | 'workflow_closed';
  error?: { code: string; message: string };
}

async function deliverCompletion(body: string, headerValue: string | undefined) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (headerValue !== undefined) {
    headers[stack.config.ASSEMBLYAI_WEBHOOK_HEADER_NAME] = headerValue;
  }
  const response = await fetch(`${stack.apiUrl}/webhooks/assemblyai`, { method: 'POST', headers, body });
  const text = await response.text();

  const reply = (text === '' ? {} : JSON.parse(text)) as WebhookReply;

  return { status: response.status, body: reply };
}

/** Counts the audio completion signals recorded in the meeting's analysis workflow history. */
async function completionSignalCount(): Promise<number> {
  const history = await stack.temporal.workflow.getHandle(analysisWorkflowId(meetingId)).fetchHistory();

  return (history.events ?? []).filter(
    (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'audioIntelligenceCompleted',
  ).length;
}

describe('AssemblyAI webhook', () => {
  test('missing secret header is rejected', async () => {
    const response = await deliverCompletion(
      JSON.stringify({ transcript_id: audioTranscriptId, status: 'completed' }),
      undefined,
    );

    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('invalid_signature');
    expect(await completionSignalCount()).toBe(0);
  });

  test('wrong secret header is rejected', async () => {
    const secret = stack.secrets.assemblyWebhookSecret;
    const sameLength = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    const body = JSON.stringify({ transcript_id: audioTranscriptId, status: 'completed' });

    for (const wrong of [sameLength, 'short', `${secret}x`]) {
      const response = await deliverCompletion(body, wrong);

      expect(response.status, wrong).toBe(401);
      expect(response.body.error?.code).toBe('invalid_signature');
    }
    expect(await completionSignalCount()).toBe(0);
  });

  test('unknown transcript id is rejected', async () => {
    const response = await deliverCompletion(
      JSON.stringify({ transcript_id: randomUUID(), status: 'completed' }),
      stack.secrets.assemblyWebhookSecret,
    );

    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('unknown_webhook_subject');
    expect(await completionSignalCount()).toBe(0);
  });

  test('invalid JSON is rejected', async () => {
    const response = await deliverCompletion('{"transcript_id": ', stack.secrets.assemblyWebhookSecret);

    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('invalid_json');
  });

  test('duplicate completion is signalled once', async () => {
    const body = JSON.stringify({ transcript_id: audioTranscriptId, status: 'completed' });

    const first = await deliverCompletion(body, stack.secrets.assemblyWebhookSecret);
    const second = await deliverCompletion(body, stack.secrets.assemblyWebhookSecret);

    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe('signalled');
    expect(second.status).toBe(200);
    expect(second.body.outcome).toBe('duplicate');
    expect(await completionSignalCount()).toBe(1);
    const recorded = await stack.database.prisma.webhookEvent.count({
      where: { provider: 'assemblyai', eventId: `${audioTranscriptId}:completed` },
    });
    expect(recorded).toBe(1);
  });

  test('late error after completion keeps the audio result', async () => {
    const late = await deliverCompletion(
      JSON.stringify({ transcript_id: audioTranscriptId, status: 'error' }),
      stack.secrets.assemblyWebhookSecret,
    );
    expect(late.status).toBe(200);

    // The analysis goes on once the sandbox's transcript really completes, whatever order the webhooks came in.
    const intelligence = await waitFor(
      () => stack.database.prisma.callIntelligence.findUniqueOrThrow({ where: { meetingId } }),
      (row) => row.status !== 'running',
      'the analysis to finish',
      90_000,
    );
    expect(intelligence.status).toBe('analysed');
    expect(intelligence.audioIntelligence).not.toBeNull();
    expect((intelligence.steps as Record<string, { outcome: string }>).audio_intelligence?.outcome).toBe('done');
  }, 120_000);
});
