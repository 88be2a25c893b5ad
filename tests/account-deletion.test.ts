import { randomBytes } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountDataActivities } from '../activities/account-data';
import { RecallClient } from '../activities/recall';
import { createConnectionRevoker } from '../lib/account-data/oauth-revocation';
import { accountTables, deletedUserPlaceholderId } from '../lib/account-data/table-map';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createOAuthProviderClients } from '../lib/oauth/provider-clients';
import { parseTokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import {
  accountDeletion,
  accountDeletionStateQuery,
  accountDeletionWorkflowId,
  cancelAccountDeletionUpdate,
} from '../workflows/account-deletion';
import { countRemaining, publicTables, type SeededAccount, seedAccount } from './support/account-seed';
import { createTestDatabase, type TestDatabase } from './support/database';
import { recordAndReplayHistory } from './support/record-history';
import { useTimeSkippingServerPerTest } from './support/temporal';

// Account deletion on the time-skipping server with the real activities, a real PostgreSQL database and
// the provider sandbox: the 30-day wait, its cancellation, and the deletion of every row the account owns.

Runtime.install({ logger: new DefaultLogger('WARN') });

const { env, workflowBundle } = useTimeSkippingServerPerTest();
let database: TestDatabase;
let sandbox: RunningSandbox;

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    port: 0,
    recallWebhookUrl: 'http://127.0.0.1:9/unused',
    recallWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    log: createLogger({ level: 'silent', pretty: false }),
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

async function withWorker<T>(run: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `account-deletion-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: env().nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createAccountDataActivities({
      prisma: database.prisma,
      recall: new RecallClient({ baseUrl: `${sandbox.url}/recall`, apiKey: 'sandbox-key' }),
      assembly: new AssemblyAI({ apiKey: 'sandbox-key', baseUrl: `${sandbox.url}/assemblyai` }),
      publicBaseUrl: 'http://127.0.0.1:3000',
      sendEmail: () => Promise.reject(new Error('deletion sends no email')),
      // The seeded connection's ciphertext opens with no key, so it is deleted without a revocation.
      revokeConnection: createConnectionRevoker({
        keys: parseTokenEncryptionKeys(`test:${randomBytes(32).toString('base64')}`),
        providers: createOAuthProviderClients({ ...loadConfig({ NODE_ENV: 'test' }), sandboxUrl: sandbox.url }),
      }),
    }),
  });

  return worker.runUntil(run(taskQueue));
}

async function startDeletion(account: SeededAccount, taskQueue: string) {
  const request = await database.prisma.accountDeletionRequest.create({
    data: { userId: account.userId, deleteAfter: new Date(Date.now() + 30 * 86_400_000) },
  });
  const handle = await env().client.workflow.start(accountDeletion, {
    workflowId: accountDeletionWorkflowId(account.userId),
    taskQueue,
    args: [{ userId: account.userId, requestId: request.id }],
  });

  return { handle, requestId: request.id };
}

/** Rows of `account` still present, per table. */
async function remainingByTable(account: SeededAccount): Promise<Record<string, number>> {
  const byTable: Record<string, number> = {};
  for (const row of account.rows) {
    byTable[row.table] = (byTable[row.table] ?? 0) + (await countRemaining(database.prisma, account.userId, [row]));
  }

  return byTable;
}

function seededByTable(account: SeededAccount): Record<string, number> {
  const byTable: Record<string, number> = {};
  for (const row of account.rows) {
    byTable[row.table] = (byTable[row.table] ?? 0) + 1;
  }

  return byTable;
}

describe('account deletion', () => {
  it('seeding and table map cover every table', async () => {
    const account = await seedAccount(database.prisma, 'coverage');
    const tables = await publicTables(database.prisma);

    expect([...new Set(account.rows.map((row) => row.table))].sort()).toEqual(tables);
    expect(accountTables.map((entry) => entry.table).sort()).toEqual(tables);
  });

  it('removes every owned row after 30 days', async () => {
    const leaving = await seedAccount(database.prisma, 'leaving');
    const staying = await seedAccount(database.prisma, 'staying');

    const result = await withWorker(async (taskQueue) => (await startDeletion(leaving, taskQueue)).handle.result());

    expect(result.status).toBe('completed');
    const expectedLeft = Object.fromEntries(Object.keys(seededByTable(leaving)).map((table) => [table, 0]));
    // A retention run holds counts only and belongs to no account.
    expectedLeft.retention_runs = 1;
    expect(await remainingByTable(leaving)).toEqual(expectedLeft);
    expect(await remainingByTable(staying)).toEqual(seededByTable(staying));
    await recordAndReplayHistory(env().client, accountDeletionWorkflowId(leaving.userId), workflowBundle());
  });

  it('leaves one audit record without personal data', async () => {
    const leaving = await seedAccount(database.prisma, 'audited');
    const before = await database.prisma.auditEvent.count({ where: { action: 'account.deleted' } });

    const result = await withWorker(async (taskQueue) => (await startDeletion(leaving, taskQueue)).handle.result());

    const records = await database.prisma.auditEvent.findMany({ where: { action: 'account.deleted' } });
    expect(records).toHaveLength(before + 1);
    const record = records.find((candidate) => candidate.id === result.auditId);
    expect(record).toBeDefined();
    expect(record!.organizationId).toBeNull();
    expect(record!.actorUserId).toBeNull();
    const text = JSON.stringify(record);
    for (const personal of [leaving.userId, leaving.email, leaving.organizationId, 'Rep audited']) {
      expect(text).not.toContain(personal);
    }
    expect((record!.data as { tables: Record<string, number> }).tables.meetings).toBe(1);
  });

  it('asks sub-processors to delete call copies', async () => {
    const leaving = await seedAccount(database.prisma, 'copies');

    await withWorker(async (taskQueue) => (await startDeletion(leaving, taskQueue)).handle.result());

    const receipts = await database.prisma.subprocessorDeletion.findMany({
      where: { externalId: { in: [leaving.botId, leaving.audioTranscriptId] } },
      orderBy: { provider: 'asc' },
    });
    expect(receipts.map((receipt) => [receipt.provider, receipt.reason, receipt.organizationId])).toEqual([
      ['assemblyai', 'account_deletion', null],
      ['recall', 'account_deletion', null],
    ]);
    // The sandbox never saw these ids, so both answer 404, which confirms there is nothing left to delete.
    expect(receipts.every((receipt) => receipt.confirmedAt !== null)).toBe(true);
  });

  it('waits until day 30 before deleting', async () => {
    const leaving = await seedAccount(database.prisma, 'patient');

    await withWorker(async (taskQueue) => {
      const { handle } = await startDeletion(leaving, taskQueue);
      await env().sleep('29 days');

      expect((await handle.query(accountDeletionStateQuery)).status).toBe('waiting');
      expect(await countRemaining(database.prisma, leaving.userId, leaving.rows)).toBe(leaving.rows.length);

      expect((await handle.result()).status).toBe('completed');
    });
    expect(await countRemaining(database.prisma, leaving.userId, leaving.rows)).toBe(1);
  });

  it('cancellation within 30 days keeps everything', async () => {
    const keeping = await seedAccount(database.prisma, 'keeping');

    const { state, requestId } = await withWorker(async (taskQueue) => {
      const started = await startDeletion(keeping, taskQueue);
      await env().sleep('10 days');
      const cancelled = await started.handle.executeUpdate(cancelAccountDeletionUpdate, {
        args: [{ requestedBy: keeping.userId }],
      });
      expect(cancelled.status).toBe('cancelled');

      return { state: await started.handle.result(), requestId: started.requestId };
    });

    expect(state.status).toBe('cancelled');
    expect(await countRemaining(database.prisma, keeping.userId, keeping.rows)).toBe(keeping.rows.length);
    const request = await database.prisma.accountDeletionRequest.findUniqueOrThrow({ where: { id: requestId } });
    expect(request.status).toBe('cancelled');
    await recordAndReplayHistory(env().client, accountDeletionWorkflowId(keeping.userId), workflowBundle());
  });

  it('cancellation by another user is rejected', async () => {
    const owner = await seedAccount(database.prisma, 'owner');

    await withWorker(async (taskQueue) => {
      const { handle } = await startDeletion(owner, taskQueue);
      const attempt = handle.executeUpdate(cancelAccountDeletionUpdate, {
        args: [{ requestedBy: 'user_someone_else' }],
      });

      await expect(attempt).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      expect((await handle.query(accountDeletionStateQuery)).status).toBe('waiting');
      await handle.terminate('test finished');
    });
  });

  it('shared company keeps its records', async () => {
    const leaving = await seedAccount(database.prisma, 'member');
    const colleague = `user_colleague_${randomBytes(4).toString('hex')}`;
    const prisma = database.prisma;
    await prisma.user.create({ data: { id: colleague, email: `${colleague}@example.com` } });
    await prisma.membership.create({
      data: { userId: colleague, organizationId: leaving.organizationId, role: 'rep' },
    });
    const colleagueMeeting = await prisma.meeting.create({
      data: {
        organizationId: leaving.organizationId,
        createdById: colleague,
        platform: 'zoom',
        meetingUrl: 'https://zoom.us/j/colleague',
        mode: 'record_only',
        joinAt: new Date(),
      },
    });

    await withWorker(async (taskQueue) => (await startDeletion(leaving, taskQueue)).handle.result());

    expect(await prisma.organization.count({ where: { id: leaving.organizationId } })).toBe(1);
    expect(await prisma.meeting.count({ where: { id: colleagueMeeting.id } })).toBe(1);
    expect(await prisma.meeting.count({ where: { createdById: leaving.userId } })).toBe(0);
    expect(await prisma.user.count({ where: { id: leaving.userId } })).toBe(0);
    const consent = await prisma.consentRecord.findMany({ where: { organizationId: leaving.organizationId } });
    expect(consent.map((record) => record.changedById)).toEqual([deletedUserPlaceholderId]);
    expect(await prisma.membership.count({ where: { organizationId: leaving.organizationId } })).toBe(1);
  });
});
