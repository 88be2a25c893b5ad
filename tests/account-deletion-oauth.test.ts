import { randomBytes } from 'node:crypto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { AssemblyAI } from 'assemblyai';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccountDataActivities } from '../activities/account-data';
import { RecallClient } from '../activities/recall';
import { createConnectionRevoker } from '../lib/account-data/oauth-revocation';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createOAuthProviderClients, type OAuthProviderClients } from '../lib/oauth/provider-clients';
import { withUserScope } from '../lib/oauth/rls';
import { parseTokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { encryptTokenColumns } from '../lib/oauth/token-vault';
import type { TOAuthProvider } from '../lib/oauth/types';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import { accountDeletion, accountDeletionWorkflowId } from '../workflows/account-deletion';
import { seedAccount } from './support/account-seed';
import { createTestDatabase, type TestDatabase } from './support/database';
import { useTimeSkippingServerPerTest } from './support/temporal';

// A deleted account's OAuth grants end at the provider as well as in the database. Google's grant is revoked
// through the sandbox's revoke endpoint, and DocuSign's (no documented revoke) is only deleted. No row is left,
// whether read through the product's row-level security scope or over a raw connection.

Runtime.install({ logger: new DefaultLogger('WARN') });

const { env, workflowBundle } = useTimeSkippingServerPerTest();
const keys = parseTokenEncryptionKeys(`test:${randomBytes(32).toString('base64')}`);
let database: TestDatabase;
let sandbox: RunningSandbox;
let providers: OAuthProviderClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    port: 0,
    recallWebhookUrl: 'http://127.0.0.1:9/unused',
    recallWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    log: createLogger({ level: 'silent', pretty: false }),
  });
  providers = createOAuthProviderClients({ ...loadConfig({ NODE_ENV: 'test' }), sandboxUrl: sandbox.url });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

beforeEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
});

/** Connects the provider through the sandbox's authorize and token endpoints and stores the tokens as the callback does. */
async function connect(userId: string, organizationId: string, provider: TOAuthProvider) {
  const redirectUri = 'http://127.0.0.1:9/oauth/callback/test';
  const authorize = await fetch(providers[provider].authorizeUrl({ state: 's', redirectUri }), { redirect: 'manual' });
  const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
  const tokens = await providers[provider].exchangeCode({ code, redirectUri });
  const columns = encryptTokenColumns(keys, { userId, provider }, tokens.accessToken, tokens.refreshToken, {
    expiresAtMs: Date.now() + tokens.expiresInSeconds * 1000,
  });
  await withUserScope(database.prisma, userId, (tx) =>
    tx.oAuthConnection.upsert({
      where: { userId_provider: { userId, provider } },
      create: { userId, organizationId, provider, scopes: tokens.scopes, ...columns },
      update: { status: 'active', scopes: tokens.scopes, ...columns },
    }),
  );

  return tokens;
}

/** Seeds an account whose Gmail and DocuSign connections hold real sandbox tokens. */
async function seedConnectedAccount(label: string) {
  const account = await seedAccount(database.prisma, label);
  const gmail = await connect(account.userId, account.organizationId, 'gmail');
  await connect(account.userId, account.organizationId, 'docusign');

  return { account, gmail };
}

async function deleteAccount(userId: string): Promise<string | undefined> {
  const request = await database.prisma.accountDeletionRequest.create({
    data: { userId, deleteAfter: new Date(Date.now() + 30 * 86_400_000) },
  });
  const taskQueue = `account-deletion-oauth-${randomBytes(4).toString('hex')}`;
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
      revokeConnection: createConnectionRevoker({ keys, providers }),
    }),
  });
  const state = await worker.runUntil(
    env().client.workflow.execute(accountDeletion, {
      workflowId: accountDeletionWorkflowId(userId),
      taskQueue,
      args: [{ userId, requestId: request.id }],
    }),
  );
  expect(state.status).toBe('completed');

  return state.auditId;
}

/** Counts the user's connections over a plain `pg` connection of the test role, inside the user's scope. */
async function rawConnectionCount(userId: string): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
    const result = await client.query<{ count: string }>(
      'SELECT count(*) AS count FROM oauth_connections WHERE user_id = $1',
      [userId],
    );
    await client.query('COMMIT');

    return Number(result.rows[0]!.count);
  } finally {
    await client.end();
  }
}

async function oauthJournalPaths(): Promise<string[]> {
  const response = await fetch(`${sandbox.url}/_sandbox/requests?provider=oauth`);

  return ((await response.json()) as Array<{ method: string; path: string }>).map(
    (entry) => `${entry.method} ${entry.path}`,
  );
}

async function connectionsRevokedInAudit(auditId: string | undefined): Promise<number> {
  const record = await database.prisma.auditEvent.findUniqueOrThrow({ where: { id: auditId } });

  return (record.data as { connectionsRevoked: number }).connectionsRevoked;
}

describe('account deletion and OAuth', () => {
  it('test role is not a superuser', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user');
    await client.end();

    // A superuser or BYPASSRLS role would read the rows without the scope, so the raw counts would prove less.
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
  });

  it('Gmail grant is revoked, then deleted', async () => {
    const { account, gmail } = await seedConnectedAccount('gmail');
    expect(await rawConnectionCount(account.userId)).toBe(2);
    await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });

    const auditId = await deleteAccount(account.userId);

    const journal = await oauthJournalPaths();
    expect(journal.filter((entry) => entry === 'POST /oauth/google/revoke')).toHaveLength(1);
    expect(journal.filter((entry) => entry.startsWith('POST /oauth/docusign/'))).toEqual([]);
    const refresh = providers.gmail.refresh(gmail.refreshToken!);
    await expect(refresh).rejects.toMatchObject({ status: 400, oauthError: 'invalid_grant' });
    const scoped = await withUserScope(database.prisma, account.userId, (tx) =>
      tx.oAuthConnection.count({ where: { userId: account.userId } }),
    );
    expect(scoped).toBe(0);
    expect(await rawConnectionCount(account.userId)).toBe(0);
    expect(await connectionsRevokedInAudit(auditId)).toBe(1);
  });

  it('Google outage is retried until revoked', async () => {
    const { account, gmail } = await seedConnectedAccount('outage');
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'oauth', fault: 'server_error', times: 2 }),
    });

    const auditId = await deleteAccount(account.userId);

    expect((await oauthJournalPaths()).filter((entry) => entry === 'POST /oauth/google/revoke')).toHaveLength(3);
    await expect(providers.gmail.refresh(gmail.refreshToken!)).rejects.toMatchObject({ oauthError: 'invalid_grant' });
    expect(await rawConnectionCount(account.userId)).toBe(0);
    expect(await connectionsRevokedInAudit(auditId)).toBe(1);
  });

  it('lasting Google outage still deletes tokens', async () => {
    const { account } = await seedConnectedAccount('down');
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'oauth', fault: 'server_error', times: 100 }),
    });

    const auditId = await deleteAccount(account.userId);

    expect((await oauthJournalPaths()).filter((entry) => entry === 'POST /oauth/google/revoke')).toHaveLength(5);
    expect(await rawConnectionCount(account.userId)).toBe(0);
    expect(await connectionsRevokedInAudit(auditId)).toBe(0);
  });
});
