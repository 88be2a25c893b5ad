import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { PDFDocument } from 'pdf-lib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../lib/signing/tokens';
import type { RunningSandbox } from '../../sandbox/server';
import {
  eSignature,
  oauthReconnectedSignal,
  signatureStateQuery,
  signatureWorkflowId,
} from '../../workflows/e-signature';
import {
  bundleSignatureWorkflow,
  createApprovedProposal,
  SandboxTokenVault,
  signatureActivities,
  type SignatureApi,
  startSignatureApi,
  startSignatureSandbox,
  testConfig,
} from '../e-signature-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createTimeSkippingEnv } from '../support/temporal';
import { recordAndReplayHistory } from '../support/record-history';
import { waitFor } from '../support/wait';

// The e-signature workflow on the time-skipping Temporal server with its real activities, PostgreSQL, the
// provider sandbox (Gmail, DocuSign, PandaDoc) and the signing API and webhooks the sandbox calls back.

let database: TestDatabase;
let bundle: WorkflowBundleWithSourceMap;
let env: TestWorkflowEnvironment;
let api: SignatureApi;
let sandbox: RunningSandbox;

beforeAll(async () => {
  database = await createTestDatabase();
  bundle = await bundleSignatureWorkflow();
  api = await startSignatureApi({ prisma: database.prisma, temporal: () => env.client, config: testConfig() });
  sandbox = await startSignatureSandbox(api.url);
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await api?.close();
  await database?.drop();
});

beforeEach(async () => {
  env = await createTimeSkippingEnv();
  await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
}, 120_000);

afterEach(async () => {
  await env?.teardown();
});

async function runWorkflow<T>(proposalId: string, body: (vault: SandboxTokenVault) => Promise<T>): Promise<T> {
  const taskQueue = `e-signature-${randomUUID()}`;
  const vault = new SandboxTokenVault(sandbox.url);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: signatureActivities(database.prisma, sandbox.url, vault, api.url),
  });
  await env.client.workflow.start(eSignature, {
    taskQueue,
    workflowId: signatureWorkflowId(proposalId),
    args: [{ proposalId, organizationId: 'org_demo' }],
  });

  return worker.runUntil(body(vault));
}

/** Saves the finished workflow's history and replays it; RECORD_HISTORIES_DIR keeps it for the committed set. */
const recordHistory = (proposalId: string) =>
  recordAndReplayHistory(env.client, signatureWorkflowId(proposalId), bundle);

const handleOf = (proposalId: string) =>
  env.client.workflow.getHandle<typeof eSignature>(signatureWorkflowId(proposalId));

async function waitForStatus(proposalId: string, status: string) {
  return waitFor(
    () => handleOf(proposalId).query(signatureStateQuery),
    (state) => state.status === status,
    `status ${status}`,
  );
}

async function sentEmailsTo(proposalId: string) {
  const response = await fetch(`${sandbox.url}/_sandbox/gmail/messages`);
  const { messages } = (await response.json()) as { messages: Array<{ messageIdHeader: string; text: string }> };

  return messages.filter((message) => message.messageIdHeader.includes(proposalId));
}

function linkIn(text: string): string {
  const link = /(http:\/\/\S+\/sign\/[A-Za-z0-9_-]{43})/.exec(text)?.[1];
  if (link === undefined) throw new Error('no signing link in the email');

  return link;
}

describe('e-signature workflow', () => {
  test('built-in path ends signed with an audit page', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'built_in');
    const result = await runWorkflow(proposalId, async () => {
      await waitForStatus(proposalId, 'sent');
      const [email] = await sentEmailsTo(proposalId);
      const token = linkIn(email!.text).split('/sign/')[1]!;
      const signed = await fetch(`${api.url}/signing/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'SignerBrowser/1.0' },
        body: JSON.stringify({ typedName: 'Dana Prospect', agree: true }),
      });
      expect(signed.status).toBe(200);

      return handleOf(proposalId).result();
    });
    await recordHistory(proposalId);

    expect(result.outcome).toBe('signed');
    const io = await database.prisma.document.findFirstOrThrow({ where: { proposalId, kind: 'io' } });
    expect(result.documentSha256).toBe(io.sha256);
    const signedIo = await database.prisma.document.findFirstOrThrow({ where: { proposalId, kind: 'signed_io' } });
    expect(signedIo.sha256).toBe(sha256Hex(signedIo.bytes));
    const original = await PDFDocument.load(io.bytes);
    const withAudit = await PDFDocument.load(signedIo.bytes);
    expect(withAudit.getPageCount()).toBe(original.getPageCount() + 1);
    const request = await database.prisma.signingRequest.findFirstOrThrow({ where: { proposalId, status: 'signed' } });
    expect(request.signedDocumentId).toBe(signedIo.id);
    expect(request.signerUserAgent).toBe('SignerBrowser/1.0');
    const proposal = await database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposal.status).toBe('signed');
    expect(proposal.documentSha256).toBe(io.sha256);
  }, 120_000);

  test('unsigned link expires after its lifetime', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'built_in');
    const result = await runWorkflow(proposalId, async () => {
      await waitForStatus(proposalId, 'sent');

      return handleOf(proposalId).result();
    });

    expect(result.outcome).toBe('expired');
    const request = await database.prisma.signingRequest.findFirstOrThrow({ where: { proposalId } });
    expect(request.status).toBe('expired');
    const proposal = await database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposal.status).toBe('expired');
  }, 120_000);

  test('cover email sent once despite lost reply', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'built_in');
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'gmail', fault: 'lost_response', times: 1 }),
    });
    await runWorkflow(proposalId, async () => {
      await waitForStatus(proposalId, 'sent');
    });

    const emails = await sentEmailsTo(proposalId);
    expect(emails).toHaveLength(1);
    const pending = await database.prisma.signingRequest.findMany({ where: { proposalId, status: 'pending' } });
    expect(pending).toHaveLength(1);
    const cover = await database.prisma.coverEmail.findUniqueOrThrow({ where: { proposalId } });
    expect(cover.sentAt).not.toBeNull();
  }, 120_000);

  test('DocuSign path signed via Connect', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'docusign');
    const result = await runWorkflow(proposalId, async () => {
      await waitForStatus(proposalId, 'sent');
      const envelope = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId, provider: 'docusign' } });
      const signed = await fetch(`${sandbox.url}/_sandbox/docusign/envelopes/${envelope.externalId}/sign`, {
        method: 'POST',
      });
      expect(signed.status).toBe(200);
      // The webhook arrives on its own; waiting for it keeps the time-skipping server from jumping to expiry.
      await waitForStatus(proposalId, 'signed');

      return handleOf(proposalId).result();
    });
    await recordHistory(proposalId);

    expect(result.outcome).toBe('signed');
    const envelope = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId } });
    expect(envelope.status).toBe('completed');
    expect(await database.prisma.document.count({ where: { proposalId, kind: 'signed_io' } })).toBe(1);
    expect(await sentEmailsTo(proposalId)).toHaveLength(1);
  }, 120_000);

  test('PandaDoc path declined by signer', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'pandadoc');
    const result = await runWorkflow(proposalId, async () => {
      await waitForStatus(proposalId, 'sent');
      const document = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId, provider: 'pandadoc' } });
      await fetch(`${sandbox.url}/_sandbox/pandadoc/documents/${document.externalId}/decline`, { method: 'POST' });
      await waitForStatus(proposalId, 'declined');

      return handleOf(proposalId).result();
    });
    await recordHistory(proposalId);

    expect(result.outcome).toBe('declined');
    const proposal = await database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposal.status).toBe('declined');
  }, 120_000);

  test('PandaDoc path signed via webhook', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'pandadoc');
    const result = await runWorkflow(proposalId, async () => {
      await waitForStatus(proposalId, 'sent');
      const document = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId, provider: 'pandadoc' } });
      await fetch(`${sandbox.url}/_sandbox/pandadoc/documents/${document.externalId}/sign`, { method: 'POST' });
      await waitForStatus(proposalId, 'signed');

      return handleOf(proposalId).result();
    });

    expect(result.outcome).toBe('signed');
    expect(await database.prisma.document.count({ where: { proposalId, kind: 'signed_io' } })).toBe(1);
  }, 120_000);

  test.each(['docusign', 'pandadoc'] as const)(
    'expiry keeps a %s signature webhooks missed',
    async (path) => {
      const proposalId = await createApprovedProposal(database.prisma, path);
      const result = await runWorkflow(proposalId, async () => {
        await waitForStatus(proposalId, 'sent');
        // Every webhook of the signing is held back, so only the provider has recorded the signature.
        await fetch(`${sandbox.url}/_sandbox/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ provider: path, fault: 'reorder_webhooks', times: 3 }),
        });
        await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
        const sent = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId, provider: path } });
        const collection = path === 'docusign' ? 'envelopes' : 'documents';
        const signed = await fetch(`${sandbox.url}/_sandbox/${path}/${collection}/${sent.externalId}/sign`, {
          method: 'POST',
        });
        expect(signed.status).toBe(200);

        return handleOf(proposalId).result();
      });
      await recordHistory(proposalId);

      expect(result.outcome).toBe('signed');
      const envelope = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId } });
      expect(envelope.status).toBe(path === 'docusign' ? 'completed' : 'document.completed');
      const journal = (await (await fetch(`${sandbox.url}/_sandbox/requests?provider=${path}`)).json()) as Array<{
        method: string;
        status?: number;
      }>;
      expect(journal.filter((entry) => entry.method === 'PUT' || entry.method === 'PATCH')).toEqual([]);
      const proposal = await database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
      expect(proposal.status).toBe('signed');
    },
    120_000,
  );

  test('Gmail reconnect resumes the cover email', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'built_in');
    const waiting = await runWorkflow(proposalId, async (vault) => {
      // The rep's Gmail refresh token was revoked, so the vault throws the error it throws after invalid_grant.
      vault.refusal = 'reconnect';
      const stalled = await waitForStatus(proposalId, 'waiting_for_reconnect');
      const emailsWhileWaiting = (await sentEmailsTo(proposalId)).length;

      vault.refusal = undefined;
      await handleOf(proposalId).signal(oauthReconnectedSignal, { provider: 'gmail' });
      await waitForStatus(proposalId, 'sent');

      return { stalled, emailsWhileWaiting };
    });

    expect(waiting.stalled.waitingForReconnect).toBe('gmail');
    expect(waiting.emailsWhileWaiting).toBe(0);
    const emails = await sentEmailsTo(proposalId);
    expect(emails).toHaveLength(1);
    const pending = await database.prisma.signingRequest.findMany({ where: { proposalId, status: 'pending' } });
    expect(pending).toHaveLength(1);
    expect(emails[0]!.text).toContain('/sign/');
  }, 120_000);

  test('failed cover email voids the envelope', async () => {
    const proposalId = await createApprovedProposal(database.prisma, 'docusign');
    await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
    const failure = await runWorkflow(proposalId, async (vault) => {
      // Gmail refuses a token it never issued with 401, a permanent failure after the envelope went out.
      const original = vault.accessToken.bind(vault);
      vault.accessToken = async (userId, provider) =>
        provider === 'gmail' ? { accessToken: 'not-issued', externalAccount: null } : original(userId, provider);

      return handleOf(proposalId)
        .result()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
    });
    await recordHistory(proposalId);

    expect(failure).toBeDefined();
    const journal = (await (await fetch(`${sandbox.url}/_sandbox/requests?provider=docusign`)).json()) as Array<{
      method: string;
      path: string;
    }>;
    expect(journal.some((entry) => entry.method === 'PUT' && entry.path.includes('/envelopes/'))).toBe(true);
    const envelope = await database.prisma.envelope.findFirstOrThrow({ where: { proposalId } });
    expect(envelope.status).toBe('voided');
  }, 120_000);
});
