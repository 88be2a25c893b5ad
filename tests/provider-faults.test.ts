import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { isPermanentHttpStatus } from '../activities/provider-failure';
import { readTranscriptFile } from '../lib/transcript/parse';
import type { ParsedTranscript } from '../lib/transcript/types';
import { runMainJob } from '../scripts/main-job';
import { startTestStack, type TestStack } from './support/stack';

// Misbehaving providers, injected by the sandbox: outages are retried until the meeting is analysed,
// webhooks delivered twice or out of order change nothing, and a model response cut off by max_tokens
// fails the analysis with its code instead of storing half a result.

const fixture = path.resolve(
  __dirname,
  '..',
  '..',
  'shared',
  'fixtures',
  'transcripts',
  'harper-valley',
  '004860b1ab2e4c88.json',
);
let stack: TestStack;
let transcript: ParsedTranscript;

beforeAll(async () => {
  stack = await startTestStack();
  transcript = await readTranscriptFile(fixture);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await fetch(`${stack.sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
});

async function injectFault(fault: {
  provider: string;
  fault: string;
  times?: number;
  latencyMs?: number;
}): Promise<void> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(response.ok).toBe(true);
}

async function statusWebhooks(meetingId: string): Promise<string[]> {
  const rows = await stack.database.prisma.webhookEvent.findMany({
    where: { provider: 'recall', subjectId: meetingId },
  });

  return rows.map((row) => row.eventType).sort();
}

describe('provider faults', () => {
  test('Claude rate limits are retried until analysed', async () => {
    await injectFault({ provider: 'anthropic', fault: 'rate_limit', times: 2 });
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    expect(result.followUpEmail?.body.length).toBeGreaterThan(0);
  });

  test('Gemini and Recall server errors are retried until analysed', async () => {
    await injectFault({ provider: 'gemini', fault: 'server_error', times: 1 });
    await injectFault({ provider: 'recall', fault: 'server_error', times: 1 });
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    const intelligence = await stack.database.prisma.callIntelligence.findUniqueOrThrow({
      where: { meetingId: result.meetingId },
    });
    expect(intelligence.embeddingCount).toBeGreaterThan(0);
  });

  test('duplicated webhooks are recorded once each', async () => {
    await injectFault({ provider: 'recall', fault: 'duplicate_webhooks', times: 20 });
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    const events = await statusWebhooks(result.meetingId);
    expect(events).toEqual([...new Set(events)]);
    expect(events).toContain('bot.done');
  });

  test('reordered webhooks still end analysed', async () => {
    await injectFault({ provider: 'recall', fault: 'reorder_webhooks', times: 1 });
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    const { body } = await stack.request('GET', `/api/meetings/${result.meetingId}`, {
      principal: { userId: 'user_demo_rep', organizationId: 'org_demo', role: 'rep' },
    });
    const timeline = (body as { meeting: { timeline: Array<{ status: string }> } }).meeting.timeline.map(
      (entry) => entry.status,
    );
    expect(timeline.at(-1)).toBe('analysed');
  });

  test('truncated model output fails the analysis with its code', async () => {
    await injectFault({ provider: 'anthropic', fault: 'truncated_output', times: 1 });

    await expect(runMainJob({ stack, transcript, progress: () => undefined })).rejects.toThrow(
      /model_output_truncated/,
    );
    const intelligence = await stack.database.prisma.callIntelligence.findFirstOrThrow({
      where: { failureCode: 'model_output_truncated' },
      include: { meeting: true },
    });
    expect(intelligence.status).toBe('failed');
    expect(intelligence.meeting.status).toBe('failed');
    expect(intelligence.qualification).toBeNull();
  });
});

describe('provider status classification', () => {
  test.each([
    [400, true],
    [401, true],
    [404, true],
    [422, true],
    [408, false],
    [429, false],
    [500, false],
    [503, false],
  ])('HTTP %i is permanent: %s', (status, permanent) => {
    expect(isPermanentHttpStatus(status)).toBe(permanent);
  });
});
