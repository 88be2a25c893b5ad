import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProposalActivities } from '../../activities/proposals';
import { createEmailActivities } from '../../activities/resend';
import { createLogger } from '../../lib/logger';
import { DEMO_ADMIN_USER_ID, DEMO_ORGANIZATION_ID, DEMO_REP_USER_ID, seedDemoData } from '../../prisma/seed';
import { type RunningSandbox, startSandbox } from '../../sandbox/server';
import type { SentEmail } from '../../sandbox/resend';
import { proposal, proposalStateQuery, rejectProposalUpdate } from '../../workflows/proposal';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { grantAllConsent, openProposalForMeeting, seedQualifiedMeeting } from '../support/proposals';
import { useTimeSkippingServerPerTest } from '../support/temporal';
import { waitFor } from '../support/wait';

// Reminders and expiry of the proposal workflow on the time-skipping server, with the real proposal
// activities on PostgreSQL, the Anthropic stand-in drafting and the Resend stand-in receiving the emails.

Runtime.install({ logger: new DefaultLogger('WARN') });

const hourMs = 3_600_000;
const server = useTimeSkippingServerPerTest();
let database: TestDatabase;
let sandbox: RunningSandbox;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoData(database.prisma);
  await grantAllConsent(database.prisma, DEMO_ORGANIZATION_ID, DEMO_ADMIN_USER_ID);
  sandbox = await startSandbox({
    port: 0,
    recallWebhookUrl: 'http://127.0.0.1:9/webhooks/recall',
    recallWebhookSecret: `whsec_${Buffer.from('proposal-reminder-test-secret-01').toString('base64')}`,
    log: createLogger({ level: 'silent', pretty: false }),
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

function createWorker(taskQueue: string): Promise<Worker> {
  const email = createEmailActivities({
    resend: new Resend('re_sandbox', { baseUrl: `${sandbox.url}/resend` }),
    from: 'Sales Blitz <notifications@sales-blitz.example>',
  });
  const activities = createProposalActivities({
    prisma: database.prisma,
    anthropic: new Anthropic({ apiKey: 'sandbox-key', baseURL: `${sandbox.url}/anthropic`, maxRetries: 0 }),
    model: 'claude-sandbox',
    sendEmail: (message) => email.sendEmail(message),
    appBaseUrl: 'http://127.0.0.1:3000',
    reminderHours: [24, 72],
    expiryDays: 14,
  });

  return Worker.create({
    connection: server.env().nativeConnection,
    taskQueue,
    workflowBundle: server.workflowBundle(),
    activities,
  });
}

async function startProposal() {
  const { meetingId } = await seedQualifiedMeeting(database.prisma, {
    organizationId: DEMO_ORGANIZATION_ID,
    repUserId: DEMO_REP_USER_ID,
  });
  const opened = await openProposalForMeeting(database.prisma, meetingId);
  const taskQueue = `proposal-${randomUUID()}`;
  const worker = await createWorker(taskQueue);
  const start = () =>
    server.env().client.workflow.start(proposal, {
      taskQueue,
      workflowId: `proposal-${opened!.proposalId}`,
      args: [{ proposalId: opened!.proposalId, organizationId: DEMO_ORGANIZATION_ID }],
    });

  return { proposalId: opened!.proposalId, worker, start };
}

async function remindersFor(proposalId: string): Promise<SentEmail[]> {
  const response = await fetch(`${sandbox.url}/_sandbox/resend/emails`);
  const emails = (await response.json()) as SentEmail[];

  return emails.filter((email) => email.idempotencyKey?.startsWith(`proposal-${proposalId}-reminder-`));
}

describe('proposal reminders and expiry', () => {
  it('reminds at 24 h and 72 h, expires at 14 days', async () => {
    const { proposalId, worker, start } = await startProposal();

    await worker.runUntil(async () => {
      const handle = await start();
      await server.env().sleep(23 * hourMs);
      expect(await remindersFor(proposalId)).toHaveLength(0);
      await server.env().sleep(2 * hourMs);
      const first = await waitFor(
        () => remindersFor(proposalId),
        (sent) => sent.length >= 1,
        'first reminder',
      );
      await server.env().sleep(48 * hourMs);
      const second = await waitFor(
        () => remindersFor(proposalId),
        (sent) => sent.length >= 2,
        'second reminder',
      );
      const state = await handle.result();
      const description = await handle.describe();

      expect(first.map((email) => email.idempotencyKey)).toEqual([`proposal-${proposalId}-reminder-1`]);
      expect(second.map((email) => email.idempotencyKey)).toEqual([
        `proposal-${proposalId}-reminder-1`,
        `proposal-${proposalId}-reminder-2`,
      ]);
      expect(second[0]!.to).toEqual(['rep@northwind.example']);
      expect(state.status).toBe('expired');
      expect(state.remindersSent).toBe(2);
      const runMs = description.closeTime!.getTime() - description.startTime.getTime();
      expect(Math.round(runMs / (24 * hourMs))).toBe(14);
    });

    const row = await database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(row.status).toBe('expired');
    expect(await remindersFor(proposalId)).toHaveLength(2);
  }, 120_000);

  it('decision cancels remaining reminders', async () => {
    const { proposalId, worker, start } = await startProposal();

    await worker.runUntil(async () => {
      const handle = await start();
      await server.env().sleep(25 * hourMs);
      await waitFor(
        () => remindersFor(proposalId),
        (sent) => sent.length >= 1,
        'first reminder',
      );
      const outsider = handle.executeUpdate(rejectProposalUpdate, {
        args: [{ actorUserId: 'user_other_rep', version: 1, reason: 'Not mine' }],
      });
      await expect(outsider).rejects.toThrow(WorkflowUpdateFailedError);
      const rejected = await handle.executeUpdate(rejectProposalUpdate, {
        args: [{ actorUserId: DEMO_REP_USER_ID, version: 1, reason: 'Prospect chose another vendor' }],
      });
      const state = await handle.result();
      await server.env().sleep(100 * hourMs);

      expect(rejected.status).toBe('rejected');
      expect(state.status).toBe('rejected');
      expect(state.remindersSent).toBe(1);
      expect((await handle.query(proposalStateQuery)).status).toBe('rejected');
    });

    const row = await database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(row.status).toBe('rejected');
    expect(row.rejectionReason).toBe('Prospect chose another vendor');
    expect((await remindersFor(proposalId)).map((email) => email.idempotencyKey)).toEqual([
      `proposal-${proposalId}-reminder-1`,
    ]);
  }, 120_000);
});
