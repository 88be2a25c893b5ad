import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { type Express } from 'express';
import type Stripe from 'stripe';
import { stripeClientFor } from '../lib/billing/stripe-client';
import type { TConfig } from '../lib/config';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { WebhookSecrets } from '../lib/local-secrets';
import type { Logger } from '../lib/logger';
import { resolveSignatureWebhookKeys, type SignatureWebhookKeys } from '../lib/signing/webhook-keys';
import { accountRoutes, exportDownloadRoutes } from './account';
import { requireAuth, type TokenVerifier } from './auth';
import { campaignWebhookRoutes } from './campaign-webhooks';
import { campaignRoutes, instantlySecretRoutes } from './campaigns';
import { codecRoutes } from './codec';
import { connectionRoutes, oauthCallbackRoutes } from './connections';
import { errorHandler, notFoundHandler } from './errors';
import { billingRoutes } from './billing';
import { meetingRoutes } from './meetings';
import { proposalRoutes } from './proposals';
import { prospectRoutes } from './prospects';
import { retentionSettingsRoutes } from './retention-settings';
import { meRoutes, settingsRoutes } from './settings';
import { apiRateLimit, baselineRateLimit, securityHeaders, unauthenticatedRateLimit } from './security';
import { signatureWebhookRoutes } from './signature-webhooks';
import { signingRoutes } from './signing';
import { localSignInRoutes, uiRoutes } from './ui';
import { stripeWebhookRoutes } from './stripe-webhook';
import { webhookRoutes } from './webhooks';

// The Express application: headers and limits first, then webhooks (raw bodies, their own verification),
// then the authenticated /api routes, then the one error handler.

export interface AppDependencies {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  verifier: TokenVerifier;
  secrets: WebhookSecrets;
  /** The same codec the worker and client use; the codec endpoint decodes with it. */
  payloadCodec: PayloadCodec;
  /** Stripe client, read per request because the sandbox's port is known only after the API listens. */
  stripe?: () => Stripe;
  rateLimits?: { apiPerMinute: number; webhookPerMinute: number };
  /** The configuration once the API and sandbox ports are known, where they are picked after the app is built. */
  currentConfig?: () => TConfig;
  /** DocuSign Connect and PandaDoc webhook keys; read from the environment or DATA_DIR when absent. */
  signatureWebhookKeys?: SignatureWebhookKeys;
}

const apiBodyLimit = '100kb';

export function createApp(deps: AppDependencies): Express {
  const { logger } = deps;
  const limits = deps.rateLimits ?? {
    apiPerMinute: deps.config.RATE_LIMIT_API_PER_MINUTE,
    webhookPerMinute: deps.config.RATE_LIMIT_WEBHOOK_PER_MINUTE,
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(securityHeaders());
  app.use(baselineRateLimit(Math.max(1200, 4 * (limits.apiPerMinute + limits.webhookPerMinute))));
  app.use((request, response, next) => {
    const requestId = randomUUID();
    const startedAt = process.hrtime.bigint();
    response.locals.requestId = requestId;
    response.setHeader('X-Request-Id', requestId);
    response.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      logger.debug(
        {
          requestId,
          method: request.method,
          path: loggablePath(request.path),
          status: response.statusCode,
          durationMs,
        },
        'Request handled',
      );
    });
    next();
  });

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    const checks = await Promise.allSettled([
      deps.prisma.$queryRaw`SELECT 1`,
      deps.temporal.workflowService.getSystemInfo({}),
    ]);
    const [database, temporal] = checks.map((check) => (check.status === 'fulfilled' ? 'ok' : 'unavailable'));
    const ready = database === 'ok' && temporal === 'ok';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, temporal } });
  });

  app.use('/codec', apiRateLimit(limits.apiPerMinute), codecRoutes(deps));
  const stripe = deps.stripe ?? (() => stripeClientFor(deps.config));
  app.use('/webhooks/stripe', stripeWebhookRoutes({ ...deps, stripe, perMinute: limits.webhookPerMinute }));
  app.use('/webhooks', webhookRoutes({ ...deps, perMinute: limits.webhookPerMinute }));
  app.use('/webhooks', campaignWebhookRoutes({ ...deps, perMinute: limits.webhookPerMinute }));
  app.use(
    '/webhooks',
    signatureWebhookRoutes({
      ...deps,
      perMinute: limits.webhookPerMinute,
      keys: deps.signatureWebhookKeys ?? (() => resolveSignatureWebhookKeys(deps.config)),
    }),
  );
  app.use('/signing', signingRoutes({ ...deps, perMinute: deps.config.RATE_LIMIT_SIGNING_PER_MINUTE }));
  app.use(
    '/api',
    unauthenticatedRateLimit(limits.apiPerMinute),
    requireAuth(deps.verifier),
    apiRateLimit(limits.apiPerMinute),
    express.json({ limit: apiBodyLimit, strict: true }),
  );
  app.use('/api/meetings', meetingRoutes(deps));
  app.use('/api/me', meRoutes(deps));
  app.use('/api/settings', settingsRoutes(deps));
  app.use('/api/proposals', proposalRoutes(deps));
  app.use('/api/prospects', prospectRoutes(deps));
  app.use('/api/billing', billingRoutes({ ...deps, stripe }));
  app.use('/api/campaigns', campaignRoutes(deps));
  app.use('/api/settings/instantly-webhook-secret', instantlySecretRoutes(deps));
  app.use('/api/settings/retention', retentionSettingsRoutes(deps));
  app.use('/api/account', accountRoutes(deps));
  app.use('/exports', apiRateLimit(limits.apiPerMinute), exportDownloadRoutes(deps));
  app.use('/api/connections', connectionRoutes(deps));
  app.use('/oauth/callback', apiRateLimit(limits.apiPerMinute), oauthCallbackRoutes(deps));
  app.use('/auth', apiRateLimit(limits.apiPerMinute), localSignInRoutes(deps));
  app.use(uiRoutes(deps));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  return app;
}

// Signing links and export downloads carry their single-use token in the path, so it is masked before
// the path is logged.
const tokenPathPattern = /^\/(sign|signing|exports)\/[^/]+/;

export function loggablePath(path: string): string {
  return path.replace(tokenPathPattern, '/$1/[token]');
}
