import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TConfig } from './config';

// Webhook secrets. In production they come from the environment and are required. Locally, when unset,
// they are generated once and kept in DATA_DIR (mode 0600) so the API, worker and sandbox, even as
// separate processes, share the same values across restarts.

export interface WebhookSecrets {
  /** whsec_-prefixed Standard Webhooks secret Recall.ai signs bot status webhooks with. */
  recallWebhookSecret: string;
  /** Value AssemblyAI sends back in the configured header of its completion webhook. */
  assemblyWebhookSecret: string;
  /** Secret of the Cal.com webhook; Cal.com signs each delivery's body with it (`X-Cal-Signature-256`). */
  calcomWebhookSecret: string;
}

export async function resolveWebhookSecrets(config: TConfig): Promise<WebhookSecrets> {
  if (
    config.RECALL_WEBHOOK_SECRET !== undefined &&
    config.ASSEMBLYAI_WEBHOOK_SECRET !== undefined &&
    config.CALCOM_WEBHOOK_SECRET !== undefined
  ) {
    return {
      recallWebhookSecret: config.RECALL_WEBHOOK_SECRET,
      assemblyWebhookSecret: config.ASSEMBLYAI_WEBHOOK_SECRET,
      calcomWebhookSecret: config.CALCOM_WEBHOOK_SECRET,
    };
  }
  if (config.NODE_ENV === 'production') {
    throw new Error(
      'RECALL_WEBHOOK_SECRET, ASSEMBLYAI_WEBHOOK_SECRET and CALCOM_WEBHOOK_SECRET must be set when NODE_ENV=production',
    );
  }

  const file = path.join(config.DATA_DIR, 'local-webhook-secrets.json');
  let stored: Partial<WebhookSecrets> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<WebhookSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read ${file}: delete it to generate new local webhook secrets`, { cause: error });
    }
  }
  const secrets: WebhookSecrets = {
    recallWebhookSecret:
      config.RECALL_WEBHOOK_SECRET ?? stored.recallWebhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`,
    assemblyWebhookSecret:
      config.ASSEMBLYAI_WEBHOOK_SECRET ?? stored.assemblyWebhookSecret ?? randomBytes(24).toString('base64url'),
    calcomWebhookSecret: config.CALCOM_WEBHOOK_SECRET ?? stored.calcomWebhookSecret ?? randomBytes(32).toString('hex'),
  };
  if (
    secrets.recallWebhookSecret !== stored.recallWebhookSecret ||
    secrets.assemblyWebhookSecret !== stored.assemblyWebhookSecret ||
    secrets.calcomWebhookSecret !== stored.calcomWebhookSecret
  ) {
    await mkdir(config.DATA_DIR, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }

  return secrets;
}
