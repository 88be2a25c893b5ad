import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TConfig } from '../config';

// The Stripe endpoint secret (`whsec_…`) that webhook deliveries are signed with. In production it comes
// from STRIPE_WEBHOOK_SECRET. Locally, when unset, it is generated once into DATA_DIR (mode 0600), so the
// API and the sandbox share it across processes and restarts.

const fileName = 'local-stripe-webhook-secret';
const resolved = new Map<string, Promise<string>>();

export function resolveStripeWebhookSecret(config: TConfig): Promise<string> {
  if (config.STRIPE_WEBHOOK_SECRET !== undefined) {
    return Promise.resolve(config.STRIPE_WEBHOOK_SECRET);
  }
  if (config.NODE_ENV === 'production') {
    return Promise.reject(new Error('STRIPE_WEBHOOK_SECRET must be set when NODE_ENV=production'));
  }
  const file = path.join(config.DATA_DIR, fileName);
  let secret = resolved.get(file);
  if (secret === undefined) {
    secret = readOrCreate(file);
    resolved.set(file, secret);
  }

  return secret;
}

async function readOrCreate(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read ${file}: delete it to generate a new local Stripe webhook secret`, { cause: error });
    }
  }
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
  await mkdir(path.dirname(file), { recursive: true });
  // `wx` keeps the first secret when two processes start at once; the loser reads the winner's.
  try {
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return (await readFile(file, 'utf8')).trim();
    }
    throw error;
  }

  return secret;
}
