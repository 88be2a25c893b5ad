import { createHash, randomBytes } from 'node:crypto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecallClient } from '../activities/recall';
import { createRetentionActivities } from '../activities/retention';
import { createLogger } from '../lib/logger';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import { retentionSweep } from '../workflows/retention-sweep';
import { createTestDatabase, type TestDatabase } from './support/database';
import { recordAndReplayHistory } from './support/record-history';
import { seedBulkTranscripts } from './support/retention-seed';
import { useTimeSkippingServerPerTest } from './support/temporal';
import { waitFor } from './support/wait';

// The retention sweep workflow with its real activities against PostgreSQL and the provider sandbox.

Runtime.install({ logger: new DefaultLogger('WARN') });

const { env, workflowBundle } = useTimeSkippingServerPerTest();
let database: TestDatabase;
let sandbox: RunningSandbox;
const dayMs = 86_400_000;

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    port: 0,
    recallWebhookUrl: 'http://127.0.0.1:9/unused',
    recallWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    stepDelayMs: 20,
    audioWebhookDelayMs: 20,
    log: createLogger({ level: 'silent', pretty: false }),
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

const recall = () => new RecallClient({ baseUrl: `${sandbox.url}/recall`, apiKey: 'sandbox-key' });
const assembly = () => new AssemblyAI({ apiKey: 'sandbox-key', baseUrl: `${sandbox.url}/assemblyai` });

async function runSweep(batchSize: number) {
  const taskQueue = `retention-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: env().nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createRetentionActivities({ prisma: database.prisma, recall: recall(), assembly: assembly() }),
  });
  const workflowId = `retention-sweep-test-${randomBytes(4).toString('hex')}`;

  const counts = await worker.runUntil(
    env().client.workflow.execute(retentionSweep, { workflowId, taskQueue, args: [{ batchSize }] }),
  );
  const run = await database.prisma.retentionRun.findUniqueOrThrow({ where: { workflowId } });

  return { counts, run, workflowId };
}

describe('retention sweep', () => {
  it('100,000 transcripts leave only unexpired ones', async () => {
    const organizationId = 'org_bulk_retention';
    const { unexpired } = await seedBulkTranscripts(database.prisma, { organizationId, count: 100_000, keepEvery: 10 });

    const { counts, run } = await runSweep(5_000);

    const left = await database.prisma.transcript.findMany({ where: { organizationId }, select: { expiresAt: true } });
    expect(unexpired).toBe(10_000);
    expect(left).toHaveLength(10_000);
    expect(left.every((transcript) => transcript.expiresAt.getTime() > run.scheduledFor.getTime())).toBe(true);
    expect(counts.transcripts).toBe(90_000);
    expect((run.counts as Record<string, number>).transcripts).toBe(90_000);
    expect(run.finishedAt).not.toBeNull();
  }, 300_000);

  it('expired tokens and old logs are cleared', async () => {
    const prisma = database.prisma;
    const organizationId = `org_tokens_${randomBytes(3).toString('hex')}`;
    const userId = `user_${organizationId}`;
    await prisma.organization.create({ data: { id: organizationId, name: 'Tokens' } });
    await prisma.user.create({ data: { id: userId } });
    const meeting = await prisma.meeting.create({
      data: {
        organizationId,
        createdById: userId,
        platform: 'zoom',
        meetingUrl: 'https://zoom.us/j/tokens',
        mode: 'assisted',
        joinAt: new Date(),
        sageSessionHash: randomBytes(32).toString('hex'),
        sageSessionExpiresAt: new Date(Date.now() - 60_000),
      },
    });
    const proposal = await prisma.proposal.create({
      data: { organizationId, meetingId: meeting.id, repUserId: userId },
    });
    const document = await prisma.document.create({
      data: {
        organizationId,
        proposalId: proposal.id,
        kind: 'io',
        version: 1,
        sha256: 'x',
        bytes: Buffer.from('%PDF'),
      },
    });
    const signing = (expiresAt: Date, status: 'pending' | 'signed') =>
      prisma.signingRequest.create({
        data: {
          organizationId,
          proposalId: proposal.id,
          documentId: document.id,
          tokenHash: createHash('sha256').update(randomBytes(16)).digest('hex'),
          signerName: 'Signer',
          signerEmail: 'signer@example.com',
          status,
          expiresAt,
        },
      });
    const expiredPending = await signing(new Date(Date.now() - dayMs), 'pending');
    const livePending = await signing(new Date(Date.now() + dayMs), 'pending');
    const expiredSigned = await signing(new Date(Date.now() - dayMs), 'signed');
    const oldExport = await prisma.dataExport.create({
      data: {
        userId,
        status: 'ready',
        archive: Buffer.from('x'),
        tokenHash: 'h-old',
        expiresAt: new Date(Date.now() - 1),
      },
    });
    const old = new Date(Date.now() - 91 * dayMs);
    const recent = new Date(Date.now() - 89 * dayMs);
    for (const at of [old, recent]) {
      await prisma.usageRecord.create({
        data: { organizationId, metric: `m-${at.getTime()}`, quantity: 1, recordedAt: at },
      });
      await prisma.applicationLog.create({ data: { organizationId, level: 'info', message: 'Logged', createdAt: at } });
      await prisma.webhookEvent.create({
        data: { provider: 'recall', eventId: `evt-${at.getTime()}`, eventType: 'bot.done', receivedAt: at },
      });
    }

    await runSweep(2);

    const statusOf = async (id: string) => prisma.signingRequest.findUniqueOrThrow({ where: { id } });
    expect((await statusOf(expiredPending.id)).status).toBe('expired');
    expect((await statusOf(expiredPending.id)).tokenHash).toBe(`expired:${expiredPending.id}`);
    expect(await statusOf(livePending.id)).toMatchObject({ status: 'pending', tokenHash: livePending.tokenHash });
    expect(await statusOf(expiredSigned.id)).toMatchObject({ status: 'signed', tokenHash: expiredSigned.tokenHash });
    expect((await prisma.meeting.findUniqueOrThrow({ where: { id: meeting.id } })).sageSessionHash).toBeNull();
    expect(await prisma.dataExport.findUniqueOrThrow({ where: { id: oldExport.id } })).toMatchObject({
      status: 'expired',
      archive: null,
      tokenHash: null,
    });
    expect(await prisma.usageRecord.count({ where: { organizationId } })).toBe(1);
    expect(await prisma.applicationLog.count({ where: { organizationId } })).toBe(1);
    expect(await prisma.webhookEvent.count({ where: { eventId: { in: [`evt-${old.getTime()}`] } } })).toBe(0);
    expect(await prisma.webhookEvent.count({ where: { eventId: { in: [`evt-${recent.getTime()}`] } } })).toBe(1);
  });

  it('sub-processor copies are deleted', async () => {
    const prisma = database.prisma;
    const meetingUrl = `https://zoom.us/j/retention-${randomBytes(3).toString('hex')}`;
    await fetch(`${sandbox.url}/_sandbox/recall/scenarios`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        meetingUrl,
        utterances: [{ speaker: 'Rep', text: 'Kept for ninety days.' }],
        stepDelayMs: 10,
      }),
    });
    const bot = await recall().createBot(
      { meeting_url: meetingUrl, bot_name: 'Sales Blitz Notetaker', metadata: {}, recording_config: {} },
      `retention-${meetingUrl}`,
    );
    const recorded = await waitFor(
      () => recall().getBot(bot.id),
      (current) => current.recordings[0]?.media_shortcuts.video_mixed?.data.download_url != null,
      'the sandbox bot to finish recording',
    );
    const recording = recorded.recordings[0]!.media_shortcuts;
    const audio = await assembly().transcripts.submit({ audio_url: recording.video_mixed!.data.download_url! });
    await waitFor(
      () => assembly().transcripts.get(audio.id),
      (job) => job.status === 'completed',
      'AssemblyAI to finish',
    );

    const organizationId = `org_copies_${randomBytes(3).toString('hex')}`;
    const userId = `user_${organizationId}`;
    await prisma.organization.create({ data: { id: organizationId, name: 'Copies' } });
    await prisma.user.create({ data: { id: userId } });
    const meeting = await prisma.meeting.create({
      data: {
        organizationId,
        createdById: userId,
        platform: 'zoom',
        meetingUrl,
        mode: 'record_only',
        joinAt: new Date(),
        botId: bot.id,
      },
    });
    await prisma.callIntelligence.create({
      data: { meetingId: meeting.id, organizationId, audioTranscriptId: audio.id },
    });
    await prisma.transcript.create({
      data: {
        meetingId: meeting.id,
        organizationId,
        sourceFormat: 'recall',
        utterances: [],
        speakerCount: 1,
        turnCount: 1,
        hasTimings: false,
        expiresAt: new Date(Date.now() - dayMs),
      },
    });

    const { counts, run, workflowId } = await runSweep(100);

    expect(counts['recall:bot_media']).toBe(1);
    expect(counts['assemblyai:transcripts']).toBe(1);
    const receipts = await prisma.subprocessorDeletion.findMany({
      where: { organizationId },
      orderBy: { provider: 'asc' },
    });
    expect(receipts.map((receipt) => [receipt.provider, receipt.externalId, receipt.runId])).toEqual([
      ['assemblyai', audio.id, run.id],
      ['recall', bot.id, run.id],
    ]);
    expect(receipts.every((receipt) => receipt.confirmedAt !== null)).toBe(true);
    expect((await fetch(recording.transcript!.data.download_url!)).status).toBe(404);
    expect((await assembly().transcripts.get(audio.id)).text).toBe('Deleted by user.');
    expect(await prisma.transcript.count({ where: { organizationId } })).toBe(0);
    await recordAndReplayHistory(env().client, workflowId, workflowBundle());
  });
});
