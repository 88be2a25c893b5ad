import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createApp } from '../api/app';
import { createTokenVerifier, type TokenVerifier } from '../api/auth';
import type { TConfig } from '../lib/config';
import { type Database, openDatabase } from '../lib/database';
import { type DevServer, startDevServer } from '../lib/dev-server';
import { resolveWebhookSecrets, type WebhookSecrets } from '../lib/local-secrets';
import type { Logger } from '../lib/logger';
import { migrateDatabase } from '../lib/migrations';
import { EncryptionCodec, resolvePayloadKeys } from '../lib/payload-codec';
import { analysisStatusKey, meetingIdKey, meetingStatusKey, organizationIdKey } from '../lib/search-attributes';
import { ensureRetentionSchedule } from '../lib/retention-schedule';
import { findTemporalCli } from '../lib/temporal-binaries';
import { resolveSignatureWebhookKeys } from '../lib/signing/webhook-keys';
import { seedDemoData } from '../prisma/seed';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import { createProviderClients } from '../workers/provider-clients';
import { stripeClientFor } from '../lib/billing/stripe-client';
import { resolveStripeWebhookSecret } from '../lib/billing/webhook-secret';
import { connectWorker, createWorker } from '../workers/worker';

// The whole product in one process, as `npm start` and the end-to-end tests run it: database (PGlite or
// PostgreSQL), optionally the Temporal dev server, the provider sandbox, the API and a worker. Parts are
// started in dependency order and stopped in reverse.

export interface StackOptions {
  config: TConfig;
  logger: Logger;
  /** Start the Temporal CLI dev server (embedded default); otherwise connect to TEMPORAL_ADDRESS. */
  startTemporal: boolean;
  progress?: (line: string) => void;
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Start no worker (tests that run their own). */
  withoutWorker?: boolean;
  rateLimits?: { apiPerMinute: number; webhookPerMinute: number };
  sandboxOptions?: { stepDelayMs?: number; audioWebhookDelayMs?: number };
}

export interface Stack {
  config: TConfig;
  database: Database;
  temporal: Client;
  verifier: TokenVerifier;
  secrets: WebhookSecrets;
  payloadCodec: PayloadCodec;
  sandbox: RunningSandbox;
  apiUrl: string;
  devServer?: DevServer;
  worker?: Worker;
  /** Stops everything that was started, in reverse order; safe to call twice. */
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const progress = options.progress ?? (() => undefined);
  const stoppers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    while (stoppers.length > 0) {
      const stop = stoppers.pop()!;
      await stop().catch((error: unknown) => logger.warn({ err: error }, 'A part did not stop cleanly'));
    }
  };

  try {
    let config = options.config;
    const secrets = await resolveWebhookSecrets(config);
    const signatureWebhookKeys = await resolveSignatureWebhookKeys(config);
    const payloadCodec = new EncryptionCodec(await resolvePayloadKeys(config));

    progress(
      config.DATABASE_URL ? 'Database: PostgreSQL (DATABASE_URL)' : `Database: embedded PGlite in ${config.pgliteDir}`,
    );
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, pgliteDir: config.pgliteDir });
    stoppers.push(() => database.close());
    await migrateDatabase(
      database.kind === 'pglite' ? { pglite: database.pglite } : { databaseUrl: config.DATABASE_URL! },
    );
    await seedDemoData(database.prisma);

    let devServer: DevServer | undefined;
    if (options.startTemporal) {
      devServer = await startEmbeddedTemporal(config, progress);
      stoppers.push(() => devServer!.stop());
    }

    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    stoppers.push(() => connection.close());
    const temporal = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: { payloadCodecs: [payloadCodec] },
    });

    const verifier = await createTokenVerifier(config);
    const app = createApp({
      config,
      prisma: database.prisma,
      temporal,
      logger,
      verifier,
      secrets,
      payloadCodec,
      rateLimits: options.rateLimits,
      stripe: () => stripeClientFor(config),
      currentConfig: () => config,
      signatureWebhookKeys,
    });
    const server = await listen(app, config.API_HOST, config.API_PORT);
    stoppers.push(() => closeServer(server));
    // A port of 0 means "any free port": carry the real one into the URLs providers call back.
    const apiPort = (server.address() as { port: number }).port;
    const apiUrl = `http://${config.API_HOST}:${apiPort}`;
    config = { ...config, API_PORT: apiPort, publicBaseUrl: config.PUBLIC_BASE_URL ?? apiUrl };
    progress(`API on ${apiUrl}`);

    const sandbox = await startSandbox({
      host: config.SANDBOX_HOST,
      port: config.SANDBOX_PORT,
      recallWebhookUrl: `${config.publicBaseUrl}/webhooks/recall`,
      recallWebhookSecret: secrets.recallWebhookSecret,
      stripeWebhookUrl: `${config.publicBaseUrl}/webhooks/stripe`,
      stripeWebhookSecret: await resolveStripeWebhookSecret(config),
      calcomWebhookUrl: `${config.publicBaseUrl}/webhooks/calcom`,
      calcomWebhookSecret: secrets.calcomWebhookSecret,
      // Signed with the newest key, as a provider does once its key was rotated.
      signatureWebhooks: {
        docusign: {
          url: `${config.publicBaseUrl}/webhooks/docusign`,
          hmacKeys: signatureWebhookKeys.docusignConnectHmacKeys.slice(-1),
        },
        pandadoc: {
          url: `${config.publicBaseUrl}/webhooks/pandadoc`,
          sharedKeys: signatureWebhookKeys.pandadocWebhookKeys.slice(-1),
        },
      },
      ...options.sandboxOptions,
      log: logger.child({ component: 'sandbox' }),
    });
    stoppers.push(() => sandbox.close());
    config = { ...config, SANDBOX_PORT: Number(new URL(sandbox.url).port), sandboxUrl: sandbox.url };
    progress(`Provider sandbox on ${sandbox.url}`);

    let worker: Worker | undefined;
    if (!options.withoutWorker) {
      const workerConnection = await connectWorker(config);
      stoppers.push(() => workerConnection.close());
      worker = await createWorker({
        config,
        connection: workerConnection,
        prisma: database.prisma,
        clients: createProviderClients(config),
        secrets,
        payloadCodec,
        workflowBundle: options.workflowBundle,
      });
      const running = worker.run();
      stoppers.push(async () => {
        if (worker!.getState() === 'RUNNING') {
          worker!.shutdown();
        }
        await running;
      });
      progress(`Worker polling task queue ${config.TEMPORAL_TASK_QUEUE}`);
      const schedule = await ensureRetentionSchedule(temporal, config.TEMPORAL_TASK_QUEUE);
      progress(`Retention schedule ${schedule} (daily at 03:00 UTC)`);
    }

    return { config, database, temporal, verifier, secrets, payloadCodec, sandbox, apiUrl, devServer, worker, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Starts the Temporal dev server with a persistent SQLite file under DATA_DIR: the local CLI when one is
 * found or can be built, otherwise the SDK's own download of it (which needs internet access).
 */
async function startEmbeddedTemporal(config: TConfig, progress: (line: string) => void): Promise<DevServer> {
  const [host, port] = splitAddress(config.TEMPORAL_ADDRESS);
  const uiPort = Number(new URL(config.TEMPORAL_WEB_URL).port || 8233);
  const dbFile = path.join(config.DATA_DIR, 'temporal', 'dev-server.sqlite');
  const cliPath = await findTemporalCli({ build: true, log: (line) => progress(line) }).catch((error: unknown) => {
    progress(`No local Temporal CLI (${(error as Error).message.split('\n')[0]}); using the SDK's download`);
    return undefined;
  });
  progress(`Temporal dev server starting on ${host}:${port} (Web UI ${config.TEMPORAL_WEB_URL})`);
  if (cliPath !== undefined) {
    return startDevServer({ cliPath, dbFile, port, uiPort, ip: host, namespace: config.TEMPORAL_NAMESPACE });
  }

  await mkdir(path.dirname(dbFile), { recursive: true });
  const environment = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: host,
      port,
      ui: true,
      uiPort,
      dbFilename: dbFile,
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: [meetingIdKey, organizationIdKey, meetingStatusKey, analysisStatusKey],
    },
  });

  return {
    address: config.TEMPORAL_ADDRESS,
    webUrl: config.TEMPORAL_WEB_URL,
    pid: process.pid,
    stop: () => environment.teardown(),
  };
}

function splitAddress(address: string): [string, number] {
  const separator = address.lastIndexOf(':');

  return [address.slice(0, separator), Number(address.slice(separator + 1))];
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    server.once('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
