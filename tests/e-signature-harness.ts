import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import express from 'express';
import { createSignatureActivities } from '../activities/e-signature';
import { errorHandler, notFoundHandler } from '../api/errors';
import { signatureWebhookRoutes } from '../api/signature-webhooks';
import { signingRoutes } from '../api/signing';
import { loadConfig, type TConfig } from '../lib/config';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { OAuthTokenVault } from '../lib/oauth/token-vault';
import { createLogger } from '../lib/logger';
import type { SignatureWebhookKeys } from '../lib/signing/webhook-keys';
import { DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID, seedDemoData } from '../prisma/seed';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import { eSignature, signatureStateQuery, signatureWorkflowId } from '../workflows/e-signature';
import { createTestDatabase, type TestDatabase } from './support/database';
import { createTimeSkippingEnv, quietBundlerLogger } from './support/temporal';
import { waitFor } from './support/wait';

// Shared set-up of the e-signature tests: the signing API and signature webhooks on a small Express app,
// the provider sandbox sending its webhooks there, an approved proposal, and OAuth access tokens issued by
// the sandbox stand-ins.

export const keys: SignatureWebhookKeys = {
  docusignConnectHmacKeys: ['docusign-old-key', 'docusign-new-key'],
  pandadocWebhookKeys: ['pandadoc-old-key', 'pandadoc-new-key'],
};

export const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

export async function bundleSignatureWorkflow(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/e-signature.ts', import.meta.url)),
    logger: quietBundlerLogger(),
  });
}

export interface SignatureApi {
  url: string;
  close(): Promise<void>;
}

export async function startSignatureApi(deps: {
  prisma: PrismaClient;
  temporal: () => Client;
  config: TConfig;
}): Promise<SignatureApi> {
  // Each test gets its own Temporal server; the routes, built once, reach the current one through this proxy.
  const temporal = new Proxy({} as Client, {
    get: (_target, property) => Reflect.get(deps.temporal(), property) as unknown,
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use('/signing', signingRoutes({ prisma: deps.prisma, temporal, logger, perMinute: 1000 }));
  app.use(
    '/webhooks',
    signatureWebhookRoutes({ config: deps.config, prisma: deps.prisma, temporal, logger, perMinute: 1000, keys }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function testConfig(overrides: Record<string, string> = {}): TConfig {
  return loadConfig({ NODE_ENV: 'test', ...overrides });
}

export async function startSignatureSandbox(apiUrl: string, signWith = keys): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    recallWebhookUrl: `${apiUrl}/webhooks/recall`,
    recallWebhookSecret: `whsec_${Buffer.from('sandbox-secret-for-signature-tests').toString('base64')}`,
    webhookRetryDelaysMs: [100, 200],
    signatureWebhooks: {
      docusign: { url: `${apiUrl}/webhooks/docusign`, hmacKeys: signWith.docusignConnectHmacKeys.slice(-1) },
      pandadoc: { url: `${apiUrl}/webhooks/pandadoc`, sharedKeys: signWith.pandadocWebhookKeys.slice(-1) },
    },
    log: logger,
  });
}

/** A token vault that hands out tokens the sandbox issued, or refuses as a vault does when told to. */
export class SandboxTokenVault implements OAuthTokenVault {
  refusal: 'reconnect' | undefined;
  private readonly tokens = new Map<string, string>();

  constructor(private readonly sandboxUrl: string) {}

  async accessToken(
    userId: string,
    provider: 'gmail' | 'docusign' | 'pandadoc',
  ): Promise<{ accessToken: string; externalAccount: string | null }> {
    if (this.refusal === 'reconnect') {
      const error = new Error(`The ${provider} connection of user ${userId} needs to be connected again`);
      error.name = 'OAuthReconnectRequiredError';
      throw error;
    }
    const account = provider === 'gmail' ? 'rep@northwind.example' : `${provider}-account-1`;
    let token = this.tokens.get(provider);
    if (token === undefined) {
      const response = await fetch(`${this.sandboxUrl}/_sandbox/${provider}/access-tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ account }),
      });
      token = ((await response.json()) as { accessToken: string }).accessToken;
      this.tokens.set(provider, token);
    }

    return { accessToken: token, externalAccount: account };
  }
}

export function signatureActivities(prisma: PrismaClient, sandboxUrl: string, vault: OAuthTokenVault, apiUrl: string) {
  return createSignatureActivities({
    prisma,
    oauthVault: vault,
    publicBaseUrl: apiUrl,
    signingLinkTtlDays: 14,
    gmailRootUrl: `${sandboxUrl}/`,
    docusignBasePath: `${sandboxUrl}/docusign/restapi`,
    pandadocBaseUrl: `${sandboxUrl}/pandadoc`,
    pandadocDraftPollIntervalMs: 50,
  });
}

/** Creates an approved proposal of the demo company with one version, on the given signing path. */
export async function createApprovedProposal(
  prisma: PrismaClient,
  signingPath: 'built_in' | 'docusign' | 'pandadoc',
): Promise<string> {
  await seedDemoData(prisma);
  const meeting = await prisma.meeting.create({
    data: {
      organizationId: DEMO_ORGANIZATION_ID,
      createdById: DEMO_REP_USER_ID,
      prospectId: DEMO_PROSPECT_ID,
      platform: 'zoom',
      meetingUrl: 'https://zoom.us/j/123456789',
      mode: 'record_only',
      joinAt: new Date(),
    },
  });
  const proposal = await prisma.proposal.create({
    data: {
      organizationId: DEMO_ORGANIZATION_ID,
      meetingId: meeting.id,
      prospectId: DEMO_PROSPECT_ID,
      repUserId: DEMO_REP_USER_ID,
      status: 'approved',
      signingPath,
      latestVersion: 1,
      approvedVersion: 1,
      signerName: 'Dana Prospect',
      signerEmail: 'dana@contoso.example',
    },
  });
  await prisma.proposalVersion.create({
    data: {
      proposalId: proposal.id,
      version: 1,
      contentHash: 'c'.repeat(64),
      content: {
        title: 'Q3 display campaign',
        summary: 'Display ads for the Q3 launch.',
        lineItems: [
          {
            itemId: 'i1',
            sku: 'DISP-CPM',
            name: 'Display ads',
            unit: 'CPM',
            quantity: 100,
            unitPriceMinor: 1250,
            totalMinor: 125000,
          },
        ],
        subtotalMinor: 125000,
        totalMinor: 125000,
        currency: 'USD',
        terms: 'Net 30.',
        evidence: [],
      },
    },
  });

  return proposal.id;
}

/** A database, a time-skipping Temporal server, the signature API, the sandbox and one running worker. */
export interface SignatureFixture {
  database: TestDatabase;
  env: TestWorkflowEnvironment;
  api: SignatureApi;
  sandbox: RunningSandbox;
  /** Starts the e-signature workflow of a new approved proposal and waits until it has sent the document. */
  sendForSignature(path: 'built_in' | 'docusign' | 'pandadoc'): Promise<string>;
  close(): Promise<void>;
}

export async function startSignatureFixture(): Promise<SignatureFixture> {
  const database = await createTestDatabase();
  const env = await createTimeSkippingEnv();
  const api = await startSignatureApi({ prisma: database.prisma, temporal: () => env.client, config: testConfig() });
  const sandbox = await startSignatureSandbox(api.url);
  const taskQueue = `e-signature-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleSignatureWorkflow(),
    activities: signatureActivities(database.prisma, sandbox.url, new SandboxTokenVault(sandbox.url), api.url),
  });
  const running = worker.run();

  return {
    database,
    env,
    api,
    sandbox,
    async sendForSignature(path) {
      const proposalId = await createApprovedProposal(database.prisma, path);
      const handle = await env.client.workflow.start(eSignature, {
        taskQueue,
        workflowId: signatureWorkflowId(proposalId),
        args: [{ proposalId, organizationId: DEMO_ORGANIZATION_ID }],
      });
      await waitFor(
        () => handle.query(signatureStateQuery),
        (state) => state.status === 'sent',
        'the document to be sent',
      );

      return proposalId;
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await sandbox.close();
      await api.close();
      await env.teardown();
      await database.drop();
    },
  };
}
