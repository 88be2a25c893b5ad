import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { AssemblyAI } from 'assemblyai';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callAnalysisInputSchema, callAnalysisToolName, ZCallAnalysisSchema } from '../lib/schemas/intelligence';
import { verifyWebhook } from '../lib/standard-webhooks';
import { renderTranscriptForPrompt, renderTranscriptLines } from '../lib/transcript/render';
import type { Utterance } from '../lib/transcript/types';
import { startSandbox, type RunningSandbox } from '../sandbox/server';

// The sandbox is exercised the way the product uses it: the real SDK clients (Anthropic, AssemblyAI,
// Gemini) and plain fetch (Recall) against its base URLs, and a small receiver on 127.0.0.1 for webhooks.

const webhookSecret = 'whsec_' + Buffer.from('sandbox-test-signing-key-0123456789').toString('base64');
const recallKey = 'Token test-recall-key';
const fullCallEvents = [
  'bot.joining_call',
  'bot.in_waiting_room',
  'bot.in_call_not_recording',
  'bot.in_call_recording',
  'bot.call_ended',
  'bot.done',
];

const qmsumMeeting = JSON.parse(readFileSync('/work/shared/fixtures/transcripts/qmsum/ES2005a.json', 'utf8')) as {
  meeting_transcripts: { speaker: string; content: string }[];
};
const meetingUtterances: Utterance[] = qmsumMeeting.meeting_transcripts.map((turn) => ({
  speaker: turn.speaker,
  text: turn.content,
}));

interface BotJson {
  id: string;
  metadata: Record<string, string>;
  status_changes: { code: string }[];
  recordings: {
    media_shortcuts: {
      transcript: { data: { download_url: string } };
      video_mixed: { data: { download_url: string } };
    };
  }[];
}

interface TranscriptEntry {
  participant: { name: string };
  words: {
    text: string;
    start_timestamp: { relative: number; absolute: string };
    end_timestamp: { relative: number; absolute: string };
  }[];
}

/** A Recall response body: a bot, a `{ detail }` error or a field-error map, depending on the request. */
type RecallJson = BotJson & { detail?: string } & Record<string, unknown>;

interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { event?: string; data?: { data?: { code: string; sub_code: string | null }; bot?: { id: string } } } & Record<
    string,
    unknown
  >;
}

/** Webhook receiver that records every delivery and returns 500 to the next `failNext` of them. */
class WebhookReceiver {
  received: ReceivedWebhook[] = [];
  failNext = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(rawBody) as ReceivedWebhook['body'];
        this.received.push({ path: req.url ?? '', headers: req.headers, rawBody, body });
        if (this.failNext > 0) {
          this.failNext -= 1;
          res.writeHead(500).end();

          return;
        }
        res.writeHead(204).end();
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  forBot(botId: string): ReceivedWebhook[] {
    return this.received.filter((hook) => hook.path === '/webhooks/recall' && hook.body.data?.bot?.id === botId);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const receiver = new WebhookReceiver();
let sandbox: RunningSandbox;

beforeAll(async () => {
  await receiver.start();
  sandbox = await startSandbox({
    port: 0,
    recallWebhookUrl: `${receiver.url}/webhooks/recall`,
    recallWebhookSecret: webhookSecret,
    stepDelayMs: 20,
    audioWebhookDelayMs: 40,
    webhookRetryDelaysMs: [20, 40, 80],
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  receiver.failNext = 0;
});

afterAll(async () => {
  await sandbox.close();
  await receiver.stop();
});

async function waitFor<T>(read: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function injectFault(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
}

let meetingCounter = 0;

async function registerScenario(scenario: Record<string, unknown> & { utterances?: Utterance[] }): Promise<string> {
  meetingCounter += 1;
  const meetingUrl = `https://meet.example.test/call-${meetingCounter}`;
  const response = await fetch(`${sandbox.url}/_sandbox/recall/scenarios`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ meetingUrl, utterances: [], ...scenario }),
  });
  expect(response.status).toBe(201);

  return meetingUrl;
}

async function recall(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${sandbox.url}/recall/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: recallKey, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  // Tests read the fields they assert on; the stand-in's shapes are what is under test.
  const body = (text === '' ? null : JSON.parse(text)) as RecallJson;

  return { status: response.status, headers: response.headers, body };
}

async function createBot(
  meetingUrl: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const created = await recall('/bot/', {
    method: 'POST',
    body: { meeting_url: meetingUrl, bot_name: 'Sales Blitz Notetaker', ...extra },
    headers,
  });
  expect(created.status).toBe(201);

  return created.body;
}

/** Returns the done bot's media download URLs and fails the test when the bot has no recording. */
function mediaUrls(bot: BotJson): { transcript: string; video: string } {
  const recording = bot.recordings[0];
  if (recording === undefined) {
    throw new Error(`Bot ${bot.id} has no recording`);
  }

  return {
    transcript: recording.media_shortcuts.transcript.data.download_url,
    video: recording.media_shortcuts.video_mixed.data.download_url,
  };
}

async function downloadTranscript(bot: BotJson): Promise<TranscriptEntry[]> {
  return (await (await fetch(mediaUrls(bot).transcript)).json()) as TranscriptEntry[];
}

function eventsOf(hooks: ReceivedWebhook[]): string[] {
  return hooks.map((hook) => hook.body.event ?? '');
}

async function playFullCall(utterances: Utterance[]): Promise<{ botId: string; bot: BotJson }> {
  const meetingUrl = await registerScenario({ utterances });
  const { id: botId } = await createBot(meetingUrl, { metadata: { meetingId: 'meeting-1' } });
  await waitFor(() => receiver.forBot(botId).some((hook) => hook.body.event === 'bot.done'));
  const bot = await recall(`/bot/${botId}/`);

  return { botId, bot: bot.body };
}

describe('Recall stand-in', () => {
  it('played call sends signed webhooks in order', async () => {
    const { botId, bot } = await playFullCall(meetingUtterances);
    const hooks = receiver.forBot(botId);

    expect(eventsOf(hooks)).toEqual(fullCallEvents);
    for (const hook of hooks) {
      expect(() =>
        verifyWebhook({ secret: webhookSecret, headers: hook.headers, rawBody: hook.rawBody }),
      ).not.toThrow();
    }
    expect(new Set(hooks.map((hook) => hook.headers['webhook-id'])).size).toBe(fullCallEvents.length);
    expect(hooks[0]?.body.data?.data).toMatchObject({ code: 'joining_call', sub_code: null });
    expect(bot.status_changes.map((change) => change.code)).toEqual(
      fullCallEvents.map((event) => event.slice('bot.'.length)),
    );
    expect(bot.metadata).toEqual({ meetingId: 'meeting-1' });
  });

  it('done bot serves transcript and video', async () => {
    const { bot } = await playFullCall(meetingUtterances);
    const transcript = await downloadTranscript(bot);
    expect(transcript).toHaveLength(meetingUtterances.length);
    transcript.forEach((entry, index) => {
      expect(entry.participant.name).toBe(meetingUtterances[index]?.speaker);
      expect(entry.words.map((word) => word.text).join(' ')).toBe(
        meetingUtterances[index]?.text.split(/\s+/).join(' '),
      );
    });
    const secondWord = transcript[0]?.words[1];
    expect(secondWord?.start_timestamp.relative).toBeCloseTo(0.4);
    expect(Number.isNaN(Date.parse(secondWord?.start_timestamp.absolute ?? ''))).toBe(false);

    const video = await fetch(mediaUrls(bot).video);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect((await video.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it('uses the utterance timings a scenario gives', async () => {
    const { bot } = await playFullCall([{ speaker: 'Rep', text: 'one two', startMs: 5000, endMs: 6000 }]);
    const transcript = await downloadTranscript(bot);

    expect(transcript[0]?.words[0]?.start_timestamp.relative).toBe(5);
    expect(transcript[0]?.words[1]?.end_timestamp.relative).toBe(6);
  });

  it('call without scenario records an empty call', async () => {
    const { id: botId } = await createBot('https://meet.example.test/no-scenario');
    await waitFor(() => receiver.forBot(botId).some((hook) => hook.body.event === 'bot.done'));
    const bot = (await recall(`/bot/${botId}/`)).body;
    const transcript = await downloadTranscript(bot);

    expect(eventsOf(receiver.forBot(botId))).toEqual(fullCallEvents);
    expect(transcript).toEqual([]);
  });

  it('idempotency key returns the same bot', async () => {
    await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
    const meetingUrl = await registerScenario({ neverJoin: true });
    const first = await createBot(meetingUrl, {}, { 'Idempotency-Key': 'meeting-42-create-bot' });
    const second = await createBot(meetingUrl, {}, { 'Idempotency-Key': 'meeting-42-create-bot' });
    await waitFor(() => receiver.forBot(first.id).length === 1);
    await sleep(100);

    expect(second.id).toBe(first.id);
    expect(receiver.forBot(first.id)).toHaveLength(1);
    const journal = (await (await fetch(`${sandbox.url}/_sandbox/requests?provider=recall`)).json()) as {
      method: string;
      path: string;
      idempotencyKey: string | null;
    }[];
    expect(journal.filter((entry) => entry.method === 'POST')).toEqual([
      expect.objectContaining({ path: '/recall/api/v1/bot/', idempotencyKey: 'meeting-42-create-bot' }),
      expect.objectContaining({ path: '/recall/api/v1/bot/', idempotencyKey: 'meeting-42-create-bot' }),
    ]);
  });

  it('rejects missing token with 401', async () => {
    const response = await fetch(`${sandbox.url}/recall/api/v1/bot/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ meeting_url: 'https://meet.example.test/x' }),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toHaveProperty('detail');
  });

  it('rejects a bot without meeting_url with 400', async () => {
    const created = await recall('/bot/', { method: 'POST', body: { bot_name: 'x', join_at: 'not a date' } });

    expect(created.status).toBe(400);
    expect(created.body.meeting_url).toEqual(['This field is required.']);
    expect(created.body.join_at).toHaveLength(1);
  });

  it('answers unknown bot with 404', async () => {
    const fetched = await recall('/bot/00000000-0000-4000-8000-000000000000/');

    expect(fetched.status).toBe(404);
    expect(fetched.body).toEqual({ detail: 'Not found.' });
  });

  it('deletes a bot that has not joined', async () => {
    const meetingUrl = await registerScenario({});
    const { id: botId } = await createBot(meetingUrl, { join_at: new Date(Date.now() + 60_000).toISOString() });

    expect((await recall(`/bot/${botId}/`, { method: 'DELETE' })).status).toBe(204);
    expect((await recall(`/bot/${botId}/`)).status).toBe(404);
  });

  it('refuses to delete a joined bot', async () => {
    const meetingUrl = await registerScenario({ neverJoin: true });
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).length === 1);
    const deleted = await recall(`/bot/${botId}/`, { method: 'DELETE' });

    expect(deleted.status).toBe(409);
    expect(deleted.body).toHaveProperty('detail');
  });

  it('leave_call ends the call then finishes', async () => {
    const meetingUrl = await registerScenario({ neverJoin: true });
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).length === 1);

    expect((await recall(`/bot/${botId}/leave_call/`, { method: 'POST' })).status).toBe(200);
    await waitFor(() => receiver.forBot(botId).length === 3);
    const bot = (await recall(`/bot/${botId}/`)).body;
    expect(eventsOf(receiver.forBot(botId))).toEqual(['bot.joining_call', 'bot.call_ended', 'bot.done']);
    expect(bot.recordings).toEqual([]);
  });

  it('neverJoin bot stops at joining_call', async () => {
    const meetingUrl = await registerScenario({ neverJoin: true });
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).length === 1);
    await sleep(200);

    expect(eventsOf(receiver.forBot(botId))).toEqual(['bot.joining_call']);
  });

  it('fatal scenario ends in bot.fatal', async () => {
    const meetingUrl = await registerScenario({ fatal: true });
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).length === 2);
    await sleep(100);
    const hooks = receiver.forBot(botId);

    expect(eventsOf(hooks)).toEqual(['bot.joining_call', 'bot.fatal']);
    expect(hooks[1]?.body.data?.data?.sub_code).toEqual(expect.any(String));
  });

  it('joins at join_at, not before', async () => {
    const meetingUrl = await registerScenario({ neverJoin: true });
    const { id: botId } = await createBot(meetingUrl, { join_at: new Date(Date.now() + 300).toISOString() });
    await sleep(150);
    expect(receiver.forBot(botId)).toHaveLength(0);

    await waitFor(() => receiver.forBot(botId).length === 1);
  });

  it('retries a failed delivery with the same webhook-id', async () => {
    receiver.failNext = 2;
    const meetingUrl = await registerScenario({ neverJoin: true });
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).length === 3);
    const attempts = receiver.forBot(botId);

    expect(new Set(attempts.map((hook) => hook.headers['webhook-id'])).size).toBe(1);
    for (const hook of attempts) {
      expect(() =>
        verifyWebhook({ secret: webhookSecret, headers: hook.headers, rawBody: hook.rawBody }),
      ).not.toThrow();
    }
  });

  it('duplicate_webhooks delivers each event twice', async () => {
    await injectFault({ provider: 'recall', fault: 'duplicate_webhooks', times: 6 });
    const meetingUrl = await registerScenario({});
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).filter((hook) => hook.body.event === 'bot.done').length === 2);
    const hooks = receiver.forBot(botId);

    expect(eventsOf(hooks)).toEqual(fullCallEvents.flatMap((event) => [event, event]));
    for (let index = 0; index < hooks.length; index += 2) {
      expect(hooks[index]?.headers['webhook-id']).toBe(hooks[index + 1]?.headers['webhook-id']);
    }
  });

  it('reorder_webhooks shuffles the status webhooks', async () => {
    await injectFault({ provider: 'recall', fault: 'reorder_webhooks' });
    const meetingUrl = await registerScenario({});
    const { id: botId } = await createBot(meetingUrl);
    await waitFor(() => receiver.forBot(botId).length === fullCallEvents.length);
    const events = eventsOf(receiver.forBot(botId));

    expect(events).not.toEqual(fullCallEvents);
    expect([...events].sort()).toEqual([...fullCallEvents].sort());
  });

  it('rate_limit answers 429 with retry-after once', async () => {
    await injectFault({ provider: 'recall', fault: 'rate_limit' });
    const limited = await recall('/bot/00000000-0000-4000-8000-000000000000/');
    const next = await recall('/bot/00000000-0000-4000-8000-000000000000/');

    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toHaveProperty('detail');
    expect(next.status).toBe(404);
  });

  it('server_error answers 500 for the given times', async () => {
    await injectFault({ provider: 'recall', fault: 'server_error', times: 2 });
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await recall('/bot/00000000-0000-4000-8000-000000000000/')).status);
    }

    expect(statuses).toEqual([500, 500, 404]);
  });

  it('latency delays the next request', async () => {
    await injectFault({ provider: 'recall', fault: 'latency', latencyMs: 300 });
    const startedAt = Date.now();
    await recall('/bot/00000000-0000-4000-8000-000000000000/');
    const slowMs = Date.now() - startedAt;
    const fastStartedAt = Date.now();
    await recall('/bot/00000000-0000-4000-8000-000000000000/');

    expect(slowMs).toBeGreaterThanOrEqual(290);
    expect(Date.now() - fastStartedAt).toBeLessThan(200);
  });
});

describe('Anthropic stand-in', () => {
  const client = new Anthropic({ apiKey: 'test-anthropic-key', baseURL: '', maxRetries: 0 });
  const anthropic = () => client.withOptions({ baseURL: `${sandbox.url}/anthropic` });
  const analysisRequest = (utterances: Utterance[]) => ({
    model: 'claude-sonnet-4-6',
    max_tokens: 8192,
    system: 'You analyse recorded sales calls.',
    messages: [{ role: 'user' as const, content: `Analyse this call.\n\n${renderTranscriptForPrompt(utterances)}` }],
    tools: [
      {
        name: callAnalysisToolName,
        description: 'Record the analysis',
        input_schema: callAnalysisInputSchema() as Anthropic.Tool.InputSchema,
      },
    ],
    tool_choice: { type: 'tool' as const, name: callAnalysisToolName },
  });

  it('tool answer passes the analysis schema', async () => {
    const message = await anthropic().messages.create(analysisRequest(meetingUtterances));
    const toolUse = message.content.find((block) => block.type === 'tool_use');

    expect(message.stop_reason).toBe('tool_use');
    expect(toolUse?.name).toBe(callAnalysisToolName);
    const analysis = ZCallAnalysisSchema.parse(toolUse?.input);
    expect(analysis.qualification.fields.metrics.status).not.toBe('unknown');
    expect(analysis.followUpEmail.body).toContain('"');
  });

  it('every evidence quote is verbatim from its speaker', async () => {
    const message = await anthropic().messages.create(analysisRequest(meetingUtterances));
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    const analysis = ZCallAnalysisSchema.parse(toolUse?.input);
    const lines = renderTranscriptLines(meetingUtterances)
      .split('\n')
      .map((line) => ({ speaker: line.slice(0, line.indexOf(': ')), text: line.slice(line.indexOf(': ') + 2) }));
    const evidence = [
      ...Object.values(analysis.qualification.fields).flatMap((field) => field.evidence),
      ...analysis.conversationPatterns.flatMap((pattern) => pattern.evidence),
    ];

    expect(evidence.length).toBeGreaterThan(5);
    for (const item of evidence) {
      const found = lines.some((line) => line.speaker === item.speaker && line.text.includes(item.quote));
      expect(found, `quote not found for ${item.speaker}: ${item.quote}`).toBe(true);
    }
  });

  it('same request gives the same answer', async () => {
    const first = await anthropic().messages.create(analysisRequest(meetingUtterances.slice(0, 30)));
    const second = await anthropic().messages.create(analysisRequest(meetingUtterances.slice(0, 30)));

    expect(second).toEqual(first);
  });

  it('answers text without the tool', async () => {
    const message = await anthropic().messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });

    expect(message.stop_reason).toBe('end_turn');
    expect(message.content[0]?.type).toBe('text');
  });

  it('truncated_output stops at max_tokens with incomplete input', async () => {
    await injectFault({ provider: 'anthropic', fault: 'truncated_output' });
    const message = await anthropic().messages.create(analysisRequest(meetingUtterances));
    const toolUse = message.content.find((block) => block.type === 'tool_use');

    expect(message.stop_reason).toBe('max_tokens');
    expect(ZCallAnalysisSchema.safeParse(toolUse?.input).success).toBe(false);
  });

  it('rejects a request without x-api-key', async () => {
    const response = await fetch(`${sandbox.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('rejects a request without max_tokens', async () => {
    const response = await fetch(`${sandbox.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('rate_limit surfaces as RateLimitError', async () => {
    await injectFault({ provider: 'anthropic', fault: 'rate_limit' });
    const error = await anthropic()
      .messages.create(analysisRequest(meetingUtterances.slice(0, 5)))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after')).toBe('1');
  });

  it('server_error answers 529 overloaded', async () => {
    await injectFault({ provider: 'anthropic', fault: 'server_error' });
    const error = await anthropic()
      .messages.create(analysisRequest(meetingUtterances.slice(0, 5)))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });

  it('retrying client recovers after retry-after', async () => {
    await injectFault({ provider: 'anthropic', fault: 'rate_limit' });
    const startedAt = Date.now();
    const message = await anthropic()
      .withOptions({ maxRetries: 1 })
      .messages.create(analysisRequest(meetingUtterances.slice(0, 5)));

    expect(message.stop_reason).toBe('tool_use');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
  });
});

describe('AssemblyAI stand-in', () => {
  const assembly = () => new AssemblyAI({ apiKey: 'test-assemblyai-key', baseUrl: `${sandbox.url}/assemblyai` });
  const webhookHeader = 'x-sales-blitz-webhook-secret';
  const assemblyHooks = () => receiver.received.filter((hook) => hook.path === '/webhooks/assemblyai');

  async function submit(audioUrl: string) {
    return assembly().transcripts.submit({
      audio_url: audioUrl,
      speaker_labels: true,
      entity_detection: true,
      sentiment_analysis: true,
      webhook_url: `${receiver.url}/webhooks/assemblyai`,
      webhook_auth_header_name: webhookHeader,
      webhook_auth_header_value: 'assembly-webhook-secret',
    });
  }

  it('completes from the recorded call and sends the webhook', async () => {
    const { bot } = await playFullCall(meetingUtterances);
    const queued = await submit(mediaUrls(bot).video);
    expect(queued.status).toBe('queued');

    const hook = await waitFor(() => assemblyHooks().find((candidate) => candidate.body.transcript_id === queued.id));
    expect(hook.body).toEqual({ transcript_id: queued.id, status: 'completed' });
    expect(hook.headers[webhookHeader]).toBe('assembly-webhook-secret');

    const transcript = await assembly().transcripts.get(queued.id);
    expect(transcript.status).toBe('completed');
    expect(transcript.utterances).toHaveLength(meetingUtterances.length);
    expect(transcript.utterances?.[0]).toMatchObject({ speaker: 'A', text: meetingUtterances[0]?.text });
    expect(new Set(transcript.utterances?.map((utterance) => utterance.speaker))).toEqual(
      new Set(['A', 'B', 'C', 'D']),
    );
    expect(transcript.entities).toContainEqual(
      expect.objectContaining({ entity_type: 'money_amount', text: 'fifty million Euros' }),
    );
    expect(transcript.sentiment_analysis_results?.length).toBeGreaterThan(0);
    for (const result of transcript.sentiment_analysis_results ?? []) {
      expect(['POSITIVE', 'NEUTRAL', 'NEGATIVE']).toContain(result.sentiment);
    }
    expect(transcript.audio_duration).toBeGreaterThan(0);
  });

  it('unknown audio ends in error', async () => {
    const queued = await submit('https://storage.example.test/unknown.mp4');
    await waitFor(() => assemblyHooks().find((candidate) => candidate.body.transcript_id === queued.id));
    const transcript = await assembly().transcripts.get(queued.id);

    expect(transcript.status).toBe('error');
    expect(transcript.error).toEqual(expect.stringContaining('unknown.mp4'));
  });

  it('duplicate_webhooks sends the completion twice', async () => {
    await injectFault({ provider: 'assemblyai', fault: 'duplicate_webhooks' });
    const queued = await submit('https://storage.example.test/duplicate.mp4');
    await waitFor(() => assemblyHooks().filter((candidate) => candidate.body.transcript_id === queued.id).length === 2);
  });

  it('deletes a finished transcript', async () => {
    const queued = await submit('https://storage.example.test/delete-me.mp4');
    await waitFor(() => assemblyHooks().find((candidate) => candidate.body.transcript_id === queued.id));
    const deleted = await assembly().transcripts.delete(queued.id);

    expect(deleted.text).toBe('Deleted by user.');
  });

  it('rejects a request without Authorization', async () => {
    const response = await fetch(`${sandbox.url}/assemblyai/v2/transcript`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ audio_url: 'https://storage.example.test/a.mp4' }),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toHaveProperty('error');
  });

  it('rejects a request without audio_url', async () => {
    await expect(assembly().transcripts.submit({ audio_url: '' })).rejects.toThrow(/audio_url/);
  });
});

describe('Gemini stand-in', () => {
  const gemini = () =>
    new GoogleGenAI({ apiKey: 'test-gemini-key', httpOptions: { baseUrl: `${sandbox.url}/gemini` } });
  const texts = (count: number) =>
    Array.from({ length: count }, (_, index) => `Call chunk number ${index} about pricing`);

  it('rejects 101 items with INVALID_ARGUMENT', async () => {
    await expect(
      gemini().models.embedContent({
        model: 'gemini-embedding-001',
        contents: texts(101),
        config: { outputDimensionality: 8 },
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('at most 100') as unknown });
  });

  it('embeds 100 items as unit vectors', async () => {
    const response = await gemini().models.embedContent({
      model: 'gemini-embedding-001',
      contents: texts(100),
      config: { outputDimensionality: 768 },
    });

    expect(response.embeddings).toHaveLength(100);
    for (const embedding of response.embeddings ?? []) {
      expect(embedding.values).toHaveLength(768);
      expect(Math.hypot(...(embedding.values ?? []))).toBeCloseTo(1, 6);
    }
  });

  it('same text gives the same vector', async () => {
    const first = await gemini().models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['pricing objection'],
    });
    const second = await gemini().models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['pricing objection'],
    });

    expect(first.embeddings?.[0]?.values).toHaveLength(3072);
    expect(second.embeddings?.[0]?.values).toEqual(first.embeddings?.[0]?.values);
  });

  it('rejects a request without an API key', async () => {
    const response = await fetch(`${sandbox.url}/gemini/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [] }),
    });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  });

  it('rate_limit answers RESOURCE_EXHAUSTED', async () => {
    await injectFault({ provider: 'gemini', fault: 'rate_limit' });

    await expect(
      gemini().models.embedContent({ model: 'gemini-embedding-001', contents: ['x'] }),
    ).rejects.toMatchObject({
      status: 429,
    });
  });
});
