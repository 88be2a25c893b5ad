import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities } from '../activities';
import { createConnectionRevoker } from '../lib/account-data/oauth-revocation';
import { planPricesFrom, stripeClientFor } from '../lib/billing/stripe-client';
import type { TConfig } from '../lib/config';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { WebhookSecrets } from '../lib/local-secrets';
import type { Logger } from '../lib/logger';
import { createOAuthProviderClients } from '../lib/oauth/provider-clients';
import { resolveTokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { createWorkerOAuthVault } from './oauth-vault';
import type { ProviderClients } from './provider-clients';
import { signatureEndpointsFor } from './signature-endpoints';

// The worker process's parts: the workflow bundle, the activities with their clients, and logging.

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once; tests and the start command reuse one bundle for several workers. */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}

let runtimeLoggerInstalled = false;

/** Sends the SDK's own log lines (worker and activity `log`) through the product's pino logger. */
export function installRuntimeLogger(logger: Logger, level: LogLevel = 'INFO'): void {
  if (runtimeLoggerInstalled) {
    return;
  }
  runtimeLoggerInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const fields = { ...entry.meta, sdkComponent: 'temporal' };
      const message = entry.message;
      if (entry.level === 'ERROR') logger.error(fields, message);
      else if (entry.level === 'WARN') logger.warn(fields, message);
      else if (entry.level === 'INFO') logger.info(fields, message);
      else logger.debug(fields, message);
    }),
  });
}

export interface WorkerOptions {
  config: TConfig;
  connection: NativeConnection;
  prisma: PrismaClient;
  clients: ProviderClients;
  secrets: WebhookSecrets;
  /** Encrypts every payload; the API's client must use the same keys. */
  payloadCodec: PayloadCodec;
  workflowBundle?: WorkflowBundleWithSourceMap;
  taskQueue?: string;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  const { config, clients } = options;
  const oauthVault = await createWorkerOAuthVault(config, options.prisma, clients.resend);
  const revokeOAuthConnection = createConnectionRevoker({
    keys: await resolveTokenEncryptionKeys(config),
    providers: createOAuthProviderClients(config),
  });
  const activities = createActivities({
    prisma: options.prisma,
    oauthVault,
    revokeOAuthConnection,
    recall: clients.recall,
    anthropic: clients.anthropic,
    assembly: clients.assembly,
    genai: clients.genai,
    instantly: clients.instantly,
    instantlySendingAccount: config.INSTANTLY_SENDING_ACCOUNT,
    resend: clients.resend,
    emailFrom: config.EMAIL_FROM,
    appBaseUrl: config.publicBaseUrl,
    proposalReminderHours: config.PROPOSAL_REMINDER_HOURS,
    proposalExpiryDays: config.PROPOSAL_EXPIRY_DAYS,
    signatureEndpoints: signatureEndpointsFor(config),
    signingLinkTtlDays: config.SIGNING_LINK_TTL_DAYS,
    anthropicModel: config.ANTHROPIC_MODEL,
    maxTranscriptCodePoints: config.ANTHROPIC_MAX_TRANSCRIPT_CODE_POINTS,
    embeddingModel: config.GEMINI_EMBEDDING_MODEL,
    stripe: stripeClientFor(config),
    planPrices: planPricesFrom(config),
    assemblyWebhook: {
      url: `${config.publicBaseUrl}/webhooks/assemblyai`,
      headerName: config.ASSEMBLYAI_WEBHOOK_HEADER_NAME,
      secret: options.secrets.assemblyWebhookSecret,
    },
  });

  return Worker.create({
    connection: options.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities,
    dataConverter: { payloadCodecs: [options.payloadCodec] },
    // Workers drain in-flight activities on shutdown rather than abandoning them to a timeout.
    shutdownGraceTime: '10 seconds',
  });
}

export async function connectWorker(config: TConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
}
