import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TConfig } from '../config';

// HMAC keys of the DocuSign Connect and PandaDoc webhooks. Each variable holds up to two comma-separated
// keys, so during a rotation deliveries signed with the old or the new key are both accepted. Locally,
// when unset, one key per provider is generated and kept in DATA_DIR (mode 0600) for the API and sandbox.

export interface SignatureWebhookKeys {
  docusignConnectHmacKeys: string[];
  pandadocWebhookKeys: string[];
}

const maxKeys = 2;

function splitKeys(value: string | undefined, variable: string): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  const keys = value
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (keys.length === 0 || keys.length > maxKeys) {
    throw new Error(`${variable} must hold 1 or ${maxKeys} comma-separated keys, found ${keys.length}`);
  }

  return keys;
}

export async function resolveSignatureWebhookKeys(config: TConfig): Promise<SignatureWebhookKeys> {
  const docusign = splitKeys(config.DOCUSIGN_CONNECT_HMAC_KEYS, 'DOCUSIGN_CONNECT_HMAC_KEYS');
  const pandadoc = splitKeys(config.PANDADOC_WEBHOOK_KEYS, 'PANDADOC_WEBHOOK_KEYS');
  if (docusign !== undefined && pandadoc !== undefined) {
    return { docusignConnectHmacKeys: docusign, pandadocWebhookKeys: pandadoc };
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('DOCUSIGN_CONNECT_HMAC_KEYS and PANDADOC_WEBHOOK_KEYS must be set when NODE_ENV=production');
  }

  const file = path.join(config.DATA_DIR, 'local-signature-webhook-keys.json');
  let stored: Partial<SignatureWebhookKeys> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<SignatureWebhookKeys>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read ${file}: delete it to generate new local webhook keys`, { cause: error });
    }
  }
  const keys: SignatureWebhookKeys = {
    docusignConnectHmacKeys: docusign ?? stored.docusignConnectHmacKeys ?? [randomBytes(32).toString('base64')],
    pandadocWebhookKeys: pandadoc ?? stored.pandadocWebhookKeys ?? [randomBytes(24).toString('hex')],
  };
  const unchanged =
    JSON.stringify(keys.docusignConnectHmacKeys) === JSON.stringify(stored.docusignConnectHmacKeys) &&
    JSON.stringify(keys.pandadocWebhookKeys) === JSON.stringify(stored.pandadocWebhookKeys);
  if (!unchanged) {
    await mkdir(config.DATA_DIR, { recursive: true });
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  }

  return keys;
}
