import path from 'node:path';
import { z } from 'zod';

// Every setting the product reads from the environment, validated once at start-up.
// Defaults describe the embedded local setup: loopback addresses only, sandbox providers, PGlite.

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const port = z.coerce.number().int().min(0).max(65535);

export const ZConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),

  DATABASE_URL: optionalString,
  PAYLOAD_ENCRYPTION_KEYS: optionalString,
  PGLITE_DIR: optionalString,

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('sales-blitz'),
  TEMPORAL_WEB_URL: z.string().url().default('http://127.0.0.1:8233'),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_BASE_URL: optionalString,

  SANDBOX_HOST: z.string().default('127.0.0.1'),
  SANDBOX_PORT: port.default(3100),

  AUTH_JWKS_URL: optionalString,
  AUTH_PUBLIC_KEY: optionalString,
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,

  RECALL_API_KEY: optionalString,
  RECALL_BASE_URL: optionalString,
  RECALL_WEBHOOK_SECRET: optionalString,

  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalString,
  ANTHROPIC_MODEL: z.string().default('claude-sonnet-4-6'),
  ANTHROPIC_MAX_TRANSCRIPT_CODE_POINTS: z.coerce.number().int().positive().default(400_000),

  ASSEMBLYAI_API_KEY: optionalString,
  ASSEMBLYAI_BASE_URL: optionalString,
  ASSEMBLYAI_WEBHOOK_HEADER_NAME: z.string().default('X-Sales-Blitz-Webhook-Secret'),
  ASSEMBLYAI_WEBHOOK_SECRET: optionalString,

  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalString,
  GEMINI_EMBEDDING_MODEL: z.string().default('gemini-embedding-001'),

  INSTANTLY_API_KEY: optionalString,
  INSTANTLY_BASE_URL: optionalString,
  /** The Instantly mailbox campaigns send from; warm-up is enabled on it at every launch. */
  INSTANTLY_SENDING_ACCOUNT: z.email().default('outreach@sales-blitz.example'),
  CALCOM_WEBHOOK_SECRET: optionalString,
  /** Cal.com sends no timestamp header, so a delivery whose body `createdAt` is older than this is rejected. */
  CALCOM_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),

  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: optionalString,
  EMAIL_FROM: z.string().default('Sales Blitz <notifications@sales-blitz.example>'),

  /** Comma-separated hours after a proposal's draft at which the rep is reminded, e.g. 24,72. */
  PROPOSAL_REMINDER_HOURS: z
    .string()
    .default('24,72')
    .transform((value) =>
      value
        .split(',')
        .filter((part) => part.trim() !== '')
        .map(Number),
    )
    .pipe(z.array(z.number().positive()).max(10)),
  PROPOSAL_EXPIRY_DAYS: z.coerce.number().positive().default(14),

  // OAuth connections: token encryption keys (`id:base64key`, first one encrypting) and, per provider, the
  // app's client credentials. A provider without both credentials uses its sandbox stand-in.
  OAUTH_TOKEN_KEYS: optionalString,
  DOCUSIGN_CLIENT_ID: optionalString,
  DOCUSIGN_CLIENT_SECRET: optionalString,
  /** DocuSign's account server: https://account-d.docusign.com (developer) or https://account.docusign.com. */
  DOCUSIGN_OAUTH_BASE_URL: z.string().url().default('https://account-d.docusign.com'),
  PANDADOC_CLIENT_ID: optionalString,
  PANDADOC_CLIENT_SECRET: optionalString,
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,

  // Stripe: the real API when the secret key is set, otherwise the sandbox. Price ids map to plans in
  // lib/billing/plans.ts; the defaults are the sandbox's own prices.
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_PRICE_PRO: optionalString,
  STRIPE_PRICE_ENTERPRISE: optionalString,
  BILLING_GRACE_DAYS: z.coerce.number().positive().default(7),

  // Webhook senders are machines retrying on 429, so their per-sender limit is the tighter one.
  RATE_LIMIT_API_PER_MINUTE: z.coerce.number().int().positive().default(300),
  RATE_LIMIT_WEBHOOK_PER_MINUTE: z.coerce.number().int().positive().default(120),
  BOT_JOIN_TIMEOUT_MINUTES: z.coerce.number().positive().default(15),
  AUDIO_INTELLIGENCE_TIMEOUT_MINUTES: z.coerce.number().positive().default(30),
  SIGNING_LINK_TTL_DAYS: z.coerce.number().int().positive().default(14),
  RATE_LIMIT_SIGNING_PER_MINUTE: z.coerce.number().int().positive().default(30),
  GMAIL_ROOT_URL: optionalString,
  DOCUSIGN_BASE_PATH: optionalString,
  PANDADOC_BASE_URL: optionalString,
  DOCUSIGN_CONNECT_HMAC_KEYS: optionalString,
  PANDADOC_WEBHOOK_KEYS: optionalString,
  // DocuSign Connect retries a failed delivery for days with the original generatedDateTime, so the
  // tolerance is a day rather than minutes; duplicates within it are caught by their event id.
  SIGNATURE_WEBHOOK_MAX_AGE_MINUTES: z.coerce.number().int().positive().default(1440),
  DEFAULT_TRANSCRIPT_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
});

export type TConfig = z.infer<typeof ZConfigSchema> & {
  /** Directory of the embedded PGlite database, used only when DATABASE_URL is unset. */
  pgliteDir: string;
  /** Base URL that providers call back (webhooks); the API's own address by default. */
  publicBaseUrl: string;
  /** Base URL of the local provider sandbox. */
  sandboxUrl: string;
};

/** Parses the environment into the product's configuration, naming every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TConfig {
  const parsed = ZConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const config = parsed.data;

  return {
    ...config,
    pgliteDir: config.PGLITE_DIR ?? path.join(config.DATA_DIR, 'pglite'),
    publicBaseUrl: config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`,
    sandboxUrl: `http://${config.SANDBOX_HOST}:${config.SANDBOX_PORT}`,
  };
}
