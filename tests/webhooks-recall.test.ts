import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signWebhook } from '../lib/standard-webhooks';
import { DEMO_ORGANIZATION_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import { meetingWorkflowId } from '../workflows/meeting-lifecycle';
import { startTestStack, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

// Recall.ai bot status webhooks against the real app, database and Temporal. Each meeting's bot never
// joins in the sandbox, so its workflow keeps waiting for status changes and every signal a webhook sends
// is visible in that workflow's history.

const rep = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' as const };

let stack: TestStack;
let waiting: { meetingId: string; botId: string };

beforeAll(async () => {
  stack = await startTestStack();
  waiting = await createWaitingMeeting();
});

afterAll(async () => {
  await stack?.stop();
});

interface BotSignal {
  botId: string;
  code: string;
  subCode?: string | null;
}

/** The JSON a webhook endpoint returns: an outcome on success, an error otherwise. */
interface WebhookReply {
  received?: boolean;
  outcome?: 'signalled' | 'duplicate' | 'workflow_closed';
  ignored?: string;
  error?: { code: string; message: string };
}

interface Delivery {
  messageId?: string;
  timestampSeconds?: number;
  /** Sent instead of the signature computed over the body. */
  signature?: string;
  /** The bytes sent, when they differ from the bytes signed. */
  sentBody?: string;
  contentType?: string;
}

/** Posts a Recall webhook signed with the stack's secret, as Recall's sender (Svix) would. */
async function deliverRecallWebhook(body: string, delivery: Delivery = {}) {
  const messageId = delivery.messageId ?? `msg_${randomUUID()}`;
  const timestampSeconds = delivery.timestampSeconds ?? Math.floor(Date.now() / 1000);
  const signature =
    delivery.signature ?? signWebhook(stack.secrets.recallWebhookSecret, messageId, timestampSeconds, body);
  const response = await fetch(`${stack.apiUrl}/webhooks/recall`, {
    method: 'POST',
    headers: {
      'content-type': delivery.contentType ?? 'application/json',
      'webhook-id': messageId,
      'webhook-timestamp': String(timestampSeconds),
      'webhook-signature': signature,
    },
    body: delivery.sentBody ?? body,
  });
  const text = await response.text();

  const reply = (text === '' ? {} : JSON.parse(text)) as WebhookReply;

  return { status: response.status, body: reply, messageId };
}

function statusEvent(botId: string, code: string, subCode: string | null = null): string {
  return JSON.stringify({
    event: `bot.${code}`,
    data: { data: { code, sub_code: subCode, updated_at: new Date().toISOString() }, bot: { id: botId, metadata: {} } },
  });
}

/** Reads the bot status signals recorded in a meeting workflow's history, decrypting and parsing their payloads. */
async function botSignals(meetingId: string): Promise<BotSignal[]> {
  const history = await stack.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).fetchHistory();
  const signals: BotSignal[] = [];
  for (const event of history.events ?? []) {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName !== 'botStatusChanged') {
      continue;
    }
    // Payloads are stored encrypted; the stack's codec turns them back into JSON.
    const [payload] = await stack.payloadCodec.decode(signaled.input?.payloads ?? []);
    signals.push(JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as BotSignal);
  }

  return signals;
}

/**
 * Schedules a meeting whose sandbox bot reports joining_call and then nothing, and waits until the bot id
 * is stored and the sandbox's own joining_call signal has reached the workflow.
 */
async function createWaitingMeeting(): Promise<{ meetingId: string; botId: string }> {
  const meetingUrl = `https://zoom.us/j/${randomInt(1e9, 1e10)}`;
  const scenario = await fetch(`${stack.sandbox.url}/_sandbox/recall/scenarios`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ meetingUrl, utterances: [], neverJoin: true }),
  });
  expect(scenario.status).toBe(201);

  const created = await stack.request('POST', '/api/meetings', {
    principal: rep,
    body: { meetingUrl, joinAt: new Date(Date.now() - 60_000).toISOString() },
  });
  expect(created.status).toBe(201);
  const meetingId = (created.body as { meeting: { id: string } }).meeting.id;
  const meeting = await waitFor(
    () => stack.database.prisma.meeting.findUniqueOrThrow({ where: { id: meetingId } }),
    (row) => row.botId !== null,
    'the bot id to be stored',
  );
  await waitFor(
    () => botSignals(meetingId),
    (signals) => signals.some((signal) => signal.code === 'joining_call'),
    'the sandbox joining_call signal',
  );
  // NOTE: a status signal that arrives while the workflow is recording bot_joining is kept in the workflow
  // but not written to the meeting row, so tests send theirs only once the workflow waits on its join timer.
  await waitFor(
    async () => (await stack.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).fetchHistory()).events ?? [],
    (events) => events.at(-1)?.timerStartedEventAttributes != null,
    'the workflow to wait on its join timer',
  );

  return { meetingId, botId: meeting.botId! };
}

async function webhookEventCount(eventId: string): Promise<number> {
  return stack.database.prisma.webhookEvent.count({ where: { provider: 'recall', eventId } });
}

async function countWorkflows(): Promise<number> {
  const workflowIds: string[] = [];
  for await (const workflow of stack.temporal.workflow.list()) {
    workflowIds.push(workflow.workflowId);
  }

  return workflowIds.length;
}

describe('Recall webhook', () => {
  test('valid signature is signalled to the meeting workflow', async () => {
    const before = await botSignals(waiting.meetingId);
    const response = await deliverRecallWebhook(statusEvent(waiting.botId, 'in_waiting_room', 'valid-delivery'));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true, outcome: 'signalled' });
    const after = await botSignals(waiting.meetingId);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ botId: waiting.botId, code: 'in_waiting_room', subCode: 'valid-delivery' });
  });

  test('forged signature is rejected without a signal', async () => {
    const before = await botSignals(waiting.meetingId);
    const forged = signWebhook(
      `whsec_${Buffer.from('not the provider secret').toString('base64')}`,
      'msg_forged',
      Math.floor(Date.now() / 1000),
      '{}',
    );
    const response = await deliverRecallWebhook(statusEvent(waiting.botId, 'in_call_recording'), {
      messageId: 'msg_forged',
      signature: forged,
    });

    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('invalid_signature');
    expect(response.body.error?.message).toBeTypeOf('string');
    expect(await botSignals(waiting.meetingId)).toHaveLength(before.length);
    expect(await webhookEventCount('msg_forged')).toBe(0);
  });

  test.each([
    ['301 seconds old', -301],
    ['301 seconds in the future', 301],
  ])('timestamp %s is rejected as stale', async (_label, offsetSeconds) => {
    const before = await botSignals(waiting.meetingId);
    const response = await deliverRecallWebhook(statusEvent(waiting.botId, 'in_call_recording'), {
      timestampSeconds: Math.floor(Date.now() / 1000) + offsetSeconds,
    });

    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('stale_webhook');
    expect(await botSignals(waiting.meetingId)).toHaveLength(before.length);
    expect(await webhookEventCount(response.messageId)).toBe(0);
  });

  test('body re-serialised after signing is rejected', async () => {
    const signed = statusEvent(waiting.botId, 'in_call_recording');
    const parsed = JSON.parse(signed) as { event: string; data: unknown };
    const variants = [JSON.stringify(parsed, null, 2), JSON.stringify({ data: parsed.data, event: parsed.event })];
    const before = await botSignals(waiting.meetingId);

    for (const sentBody of variants) {
      expect(JSON.parse(sentBody)).toEqual(parsed);
      const response = await deliverRecallWebhook(signed, { sentBody });

      expect(response.status).toBe(401);
      expect(response.body.error?.code).toBe('invalid_signature');
    }
    expect(await botSignals(waiting.meetingId)).toHaveLength(before.length);
  });

  test('same webhook-id twice is signalled once', async () => {
    const subCode = `duplicate-${randomUUID()}`;
    const body = statusEvent(waiting.botId, 'in_waiting_room', subCode);
    const messageId = `msg_${randomUUID()}`;

    const first = await deliverRecallWebhook(body, { messageId });
    const second = await deliverRecallWebhook(body, { messageId });

    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe('signalled');
    expect(second.status).toBe(200);
    expect(second.body.outcome).toBe('duplicate');
    const matching = (await botSignals(waiting.meetingId)).filter((signal) => signal.subCode === subCode);
    expect(matching).toHaveLength(1);
    expect(await webhookEventCount(messageId)).toBe(1);
  });

  test('out-of-order statuses never move the meeting backwards', async () => {
    const meeting = await createWaitingMeeting();
    const readStatus = async () => {
      const response = await stack.request('GET', `/api/meetings/${meeting.meetingId}`, { principal: rep });

      return (response.body as { meeting: { status: string } }).meeting.status;
    };

    const recording = await deliverRecallWebhook(statusEvent(meeting.botId, 'in_call_recording'));
    expect(recording.status).toBe(200);
    await waitFor(readStatus, (status) => status === 'recording', 'the meeting to show recording');

    const joining = await deliverRecallWebhook(statusEvent(meeting.botId, 'joining_call'));
    expect(joining.status).toBe(200);
    expect(joining.body.outcome).toBe('signalled');
    const handle = stack.temporal.workflow.getHandle(meetingWorkflowId(meeting.meetingId));
    // The late joining_call must be processed by a workflow task before the status check means anything.
    await waitFor(
      async () => (await handle.fetchHistory()).events ?? [],
      (events) => {
        const signalIndex = events.findLastIndex(
          (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'botStatusChanged',
        );
        return events.slice(signalIndex + 1).some((event) => event.workflowTaskCompletedEventAttributes != null);
      },
      'a workflow task after the late joining_call signal',
    );

    const observed: string[] = [];
    for (let sample = 0; sample < 5; sample += 1) {
      observed.push(await readStatus());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(observed).toEqual(Array(5).fill('recording'));
    const state = await handle.query<{ status: string }>('meetingState');
    expect(state.status).toBe('recording');
  });

  test('unknown bot id is rejected and starts no workflow', async () => {
    const workflowsBefore = await countWorkflows();
    const unknownBotId = randomUUID();
    const response = await deliverRecallWebhook(statusEvent(unknownBotId, 'joining_call'));

    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('unknown_webhook_subject');
    expect(await webhookEventCount(response.messageId)).toBe(0);
    expect(await countWorkflows()).toBe(workflowsBefore);
    expect(await stack.database.prisma.meeting.count({ where: { botId: unknownBotId } })).toBe(0);
  });

  test('body over 256 kB is rejected as too large', async () => {
    const padding = 'x'.repeat(300 * 1024);
    const body = JSON.stringify({ ...JSON.parse(statusEvent(waiting.botId, 'in_waiting_room')), padding });
    const response = await deliverRecallWebhook(body);

    expect(response.status).toBe(413);
    expect(response.body.error?.code).toBe('payload_too_large');
  });

  test('signed body that is not JSON is rejected', async () => {
    const response = await deliverRecallWebhook('event=bot.joining_call&bot=1');

    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('invalid_json');
    expect(await webhookEventCount(response.messageId)).toBe(0);
  });

  test('wrong content type is rejected', async () => {
    const response = await deliverRecallWebhook(statusEvent(waiting.botId, 'in_waiting_room'), {
      contentType: 'text/plain',
    });

    expect(response.status).toBe(415);
    expect(response.body.error?.code).toBe('unsupported_media_type');
    expect(await webhookEventCount(response.messageId)).toBe(0);
  });

  test('unhandled event type is acknowledged and ignored', async () => {
    const before = await botSignals(waiting.meetingId);
    const body = JSON.stringify({
      event: 'transcript.done',
      data: { transcript: { id: randomUUID() }, bot: { id: waiting.botId } },
    });
    const response = await deliverRecallWebhook(body);

    expect(response.status).toBe(200);
    expect(response.body.received).toBe(true);
    expect(response.body.ignored).toBeTypeOf('string');
    expect(await botSignals(waiting.meetingId)).toHaveLength(before.length);
  });

  test('several v1 signatures pass when one matches', async () => {
    const messageId = `msg_${randomUUID()}`;
    const timestampSeconds = Math.floor(Date.now() / 1000);
    const body = statusEvent(waiting.botId, 'in_waiting_room', 'rotated-secret');
    const valid = signWebhook(stack.secrets.recallWebhookSecret, messageId, timestampSeconds, body);
    const retired = signWebhook(
      `whsec_${Buffer.from('a retired secret').toString('base64')}`,
      messageId,
      timestampSeconds,
      body,
    );
    const response = await deliverRecallWebhook(body, {
      messageId,
      timestampSeconds,
      signature: `${retired} v2,${valid.slice(3)} ${valid}`,
    });

    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe('signalled');
    const signals = await botSignals(waiting.meetingId);
    expect(signals.filter((signal) => signal.subCode === 'rotated-secret')).toHaveLength(1);
  });
});
