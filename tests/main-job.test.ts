import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseTranscript, readTranscriptFile } from '../lib/transcript/parse';
import type { Utterance } from '../lib/transcript/types';
import { runMainJob } from '../scripts/main-job';
import { startTestStack, type TestStack } from './support/stack';

// The main job through the product's own doors (API, signed Recall webhooks, sandbox providers) on
// real transcripts in several input formats, against PostgreSQL and a Temporal dev server.

const fixtures = path.resolve(__dirname, '..', '..', 'shared', 'fixtures', 'transcripts');

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

interface Evidence {
  speaker: string;
  quote: string;
}

function evidenceOf(qualification: unknown): Evidence[] {
  const { fields } = qualification as { fields: Record<string, { evidence: Evidence[] }> };

  return Object.values(fields).flatMap((field) => field.evidence);
}

function expectGrounded(evidence: Evidence[], utterances: Utterance[]): void {
  for (const item of evidence) {
    const lines = utterances
      .filter((utterance) => utterance.speaker === item.speaker)
      .map((utterance) => utterance.text);
    expect(
      lines.some((line) => line.includes(item.quote)),
      `quote by ${item.speaker} not in transcript`,
    ).toBe(true);
  }
}

function toWebVtt(utterances: Utterance[]): string {
  const stamp = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  const cues = utterances.map(
    (utterance, index) =>
      `${stamp(index * 4000)} --> ${stamp(index * 4000 + 3500)}\n<v ${utterance.speaker}>${utterance.text}`,
  );

  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

describe('main job', () => {
  test('QMSum meeting ends analysed with four speakers', async () => {
    const transcript = await readTranscriptFile(path.join(fixtures, 'qmsum', 'ES2005a.json'));
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    expect(result.speakers).toBe(4);
    expect(result.turns).toBeGreaterThan(50);
    expect(result.followUpEmail?.subject.length).toBeGreaterThan(0);
    const evidence = evidenceOf(result.qualification);
    expect(evidence.length).toBeGreaterThan(0);
    expectGrounded(evidence, transcript.utterances);
    expect(result.temporalWebUrl).toContain(encodeURIComponent(`MeetingId="${result.meetingId}"`));
    const { body } = await stack.request('GET', `/api/meetings/${result.meetingId}`, {
      principal: { userId: 'user_demo_rep', organizationId: 'org_demo', role: 'rep' },
    });
    const timeline = (body as { meeting: { timeline: Array<{ status: string }> } }).meeting.timeline;
    expect(timeline.map((entry) => entry.status)).toEqual([
      'bot_joining',
      'in_waiting_room',
      'in_call',
      'recording',
      'call_ended',
      'transcript_stored',
      'analysing',
      'analysed',
    ]);
  });

  test.each(['0002f70f7386445b', '004860b1ab2e4c88', '0091a706bc604188'])(
    'Harper Valley call %s ends analysed with agent and caller',
    async (callId) => {
      const transcript = await readTranscriptFile(path.join(fixtures, 'harper-valley', `${callId}.json`));
      const result = await runMainJob({ stack, transcript, progress: () => undefined });

      expect(result.status).toBe('analysed');
      expect(result.speakers).toBe(2);
      expectGrounded(evidenceOf(result.qualification), transcript.utterances);
      const metrics = result.metrics as { basis: string; speakers: Array<{ talkShare: number }> };
      expect(metrics.basis).toBe('time');
      expect(metrics.speakers.reduce((sum, speaker) => sum + speaker.talkShare, 0)).toBeCloseTo(1, 3);
    },
  );

  test('WebVTT built from a QMSum meeting ends analysed', async () => {
    const source = await readTranscriptFile(path.join(fixtures, 'qmsum', 'IS1004a.json'));
    const transcript = parseTranscript(toWebVtt(source.utterances), 'call.vtt');
    expect(transcript.format).toBe('webvtt');
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    expect(result.speakers).toBe(new Set(source.utterances.map((utterance) => utterance.speaker)).size);
    expectGrounded(evidenceOf(result.qualification), transcript.utterances);
  });

  test('plain speaker lines end analysed and store the transcript with its expiry', async () => {
    const raw = await readFile(path.join(fixtures, 'qmsum', 'TS3010a.json'), 'utf8');
    const source = parseTranscript(raw, 'TS3010a.json');
    const transcript = parseTranscript(source.utterances.map((u) => `${u.speaker}: ${u.text}`).join('\n'), 'call.txt');
    expect(transcript.format).toBe('plain-text');
    const result = await runMainJob({ stack, transcript, progress: () => undefined });

    expect(result.status).toBe('analysed');
    const stored = await stack.database.prisma.transcript.findUniqueOrThrow({ where: { meetingId: result.meetingId } });
    const days = (stored.expiresAt.getTime() - stored.createdAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(90, 1);
  });

  test('replay command replays the meeting by workflow id and by query', async () => {
    const transcript = await readTranscriptFile(path.join(fixtures, 'harper-valley', '0002f70f7386445b.json'));
    const result = await runMainJob({ stack, transcript, progress: () => undefined });
    const replay = (args: string[]) =>
      promisify(execFile)('npx', ['tsx', 'scripts/replay.ts', ...args], {
        cwd: path.resolve(__dirname, '..'),
        env: { ...process.env, TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS, DATA_DIR: stack.config.DATA_DIR },
      });

    // Visibility is eventually consistent, so wait until the query returns both closed workflows.
    await stack.temporal.workflow.getHandle(`analysis-${result.meetingId}`).result();
    const query = `MeetingId = "${result.meetingId}" AND ExecutionStatus != "Running"`;
    for (let attempt = 0; attempt < 50 && (await stack.temporal.workflow.count(query)).count < 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const byId = await replay(['--workflow-id', result.workflowId]);
    expect(byId.stdout).toContain(`ok ${result.workflowId}`);
    const byQuery = await replay(['--query', `MeetingId = "${result.meetingId}"`]);
    expect(byQuery.stdout).toContain(`ok meeting-${result.meetingId}`);
    expect(byQuery.stdout).toContain(`ok analysis-${result.meetingId}`);
    expect(byQuery.stdout.trim().split('\n').at(-1)).toBe('2 passed, 0 failed');
  });
});
