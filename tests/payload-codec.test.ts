import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadHistoryFiles, saveHistory } from '../lib/histories';
import { EncryptionCodec, encryptedEncoding, parsePayloadKeys } from '../lib/payload-codec';
import { readTranscriptFile } from '../lib/transcript/parse';
import { DEMO_ORGANIZATION_ID } from '../prisma/seed';
import { runMainJob } from '../scripts/main-job';
import { startTestStack, testWorkflowBundle, type TestStack } from './support/stack';

// Workflow payloads are encrypted before they reach Temporal. Operators decode them through the API's
// codec endpoint (admins and auditors only). Saved histories are decoded, so auditors replay them without a key.

const fixture = path.resolve(
  __dirname,
  '..',
  '..',
  'shared',
  'fixtures',
  'transcripts',
  'harper-valley',
  '0091a706bc604188.json',
);

function plainPayload(text: string): Payload {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(text)) };
}

function key(id: string) {
  return { id, key: randomBytes(32) };
}

describe('encryption codec', () => {
  test('round trip restores the payload', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [encoded] = await codec.encode([plainPayload('meeting-123')]);

    expect(Buffer.from(encoded!.metadata!.encoding!).toString()).toBe(encryptedEncoding);
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('meeting-123');
    const [decoded] = await codec.decode([encoded!]);
    expect(Buffer.from(decoded!.data!).toString()).toBe('"meeting-123"');
  });

  test('rotated keys still decode older payloads', async () => {
    const oldKey = key('old');
    const [sealed] = await new EncryptionCodec([oldKey]).encode([plainPayload('x')]);
    const rotated = new EncryptionCodec([key('new'), oldKey]);

    const [decoded] = await rotated.decode([sealed!]);
    expect(Buffer.from(decoded!.data!).toString()).toBe('"x"');
    const [resealed] = await rotated.encode([plainPayload('x')]);
    expect(Buffer.from(resealed!.metadata!['encryption-key-id']!).toString()).toBe('new');
  });

  test('tampered or unknown-key payloads are rejected', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [sealed] = await codec.encode([plainPayload('x')]);
    const tampered = Buffer.from(sealed!.data!);
    tampered[20] = tampered[20]! ^ 1;

    await expect(codec.decode([{ ...sealed!, data: tampered }])).rejects.toThrow();
    await expect(new EncryptionCodec([key('other')]).decode([sealed!])).rejects.toThrow(/unknown key id "k1"/);
  });

  test('unencrypted payloads pass through', async () => {
    const payload = plainPayload('recorded before encryption');

    expect(await new EncryptionCodec([key('k1')]).decode([payload])).toEqual([payload]);
  });

  test('key list parsing rejects short keys', () => {
    const good = randomBytes(32).toString('base64');

    expect(parsePayloadKeys(`a:${good}, b:${good}`).map((entry) => entry.id)).toEqual(['a', 'b']);
    expect(() => parsePayloadKeys('a:c2hvcnQ=')).toThrow(/32-byte keys/);
    expect(() => parsePayloadKeys(good)).toThrow(/id:base64key/);
  });
});

describe('encrypted workflows', () => {
  let stack: TestStack;
  let meetingId: string;
  let historyDir: string;

  beforeAll(async () => {
    stack = await startTestStack();
    historyDir = await mkdtemp(path.join(os.tmpdir(), 'sales-blitz-histories-'));
    const result = await runMainJob({
      stack,
      transcript: await readTranscriptFile(fixture),
      progress: () => undefined,
    });
    meetingId = result.meetingId;
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(historyDir, { recursive: true, force: true });
  });

  test('Temporal stores the workflow input encrypted', async () => {
    const rawClient = new Client({ connection: stack.temporal.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
    const history = await rawClient.workflow.getHandle(`meeting-${meetingId}`).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];

    expect(Buffer.from(input!.metadata!.encoding!).toString()).toBe(encryptedEncoding);
    expect(Buffer.from(input!.data!).toString('latin1')).not.toContain(meetingId);
  });

  test('saved history is decoded and replays without a key', async () => {
    const file = await saveHistory(stack.temporal, `meeting-${meetingId}`, historyDir, stack.payloadCodec);
    const text = await readFile(file, 'utf8');

    expect(text).not.toContain(Buffer.from(encryptedEncoding).toString('base64'));
    const [saved] = await loadHistoryFiles(historyDir);
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, saved!.history, saved!.workflowId);
  });

  async function codecRequest(role: 'rep' | 'auditor' | undefined, payloads: unknown) {
    const token = role
      ? await stack.tokenFor({ userId: `user_${role}`, organizationId: DEMO_ORGANIZATION_ID, role })
      : undefined;
    const response = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ payloads }),
    });

    return {
      status: response.status,
      body: (await response.json()) as { payloads?: Array<{ data: string }>; error?: { code: string } },
    };
  }

  test('codec endpoint decodes for auditors only', async () => {
    const [sealed] = await stack.payloadCodec.encode([plainPayload(meetingId)]);
    const wire = [
      {
        metadata: Object.fromEntries(
          Object.entries(sealed!.metadata!).map(([name, value]) => [name, Buffer.from(value).toString('base64')]),
        ),
        data: Buffer.from(sealed!.data!).toString('base64'),
      },
    ];

    expect((await codecRequest(undefined, wire)).status).toBe(401);
    const rep = await codecRequest('rep', wire);
    expect(rep.status).toBe(403);
    expect(rep.body.error?.code).toBe('forbidden');
    const auditor = await codecRequest('auditor', wire);
    expect(auditor.status).toBe(200);
    expect(Buffer.from(auditor.body.payloads![0]!.data, 'base64').toString()).toBe(JSON.stringify(meetingId));
  });

  test('codec endpoint allows only Temporal Web as a browser origin', async () => {
    const webOrigin = new URL(stack.config.TEMPORAL_WEB_URL).origin;
    const preflight = (origin: string) =>
      fetch(`${stack.apiUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization',
        },
      });

    const allowed = await preflight(webOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(webOrigin);
    const other = await preflight('http://127.0.0.1:1');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
