import type { Client } from '@temporalio/client';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { Logger } from '../lib/logger';
import { completeConnection, type ConnectionServices, disconnect, listConnections } from '../lib/oauth/connections';
import { createOAuthProviderClients, type OAuthProviderClients } from '../lib/oauth/provider-clients';
import { consumeState, issueState, stateLifetimeMs, verifyState } from '../lib/oauth/state';
import { resolveTokenEncryptionKeys, type TokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { oauthProviders } from '../lib/oauth/types';
import { principalOf } from './auth';
import { parseOrThrow } from './errors';

// OAuth connections to DocuSign, PandaDoc and Gmail: `/api/connections` (authenticated) lists, starts and
// deletes them; the public `/oauth/callback/:provider` receives the provider's redirect. The callback never
// returns JSON errors. It redirects the browser back to the settings page with a `connection_error` code.

export interface ConnectionRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  /** Defaults to OAUTH_TOKEN_KEYS or the local key file in DATA_DIR. */
  tokenKeys?: TokenEncryptionKeys;
  /** Defaults to the real providers when their client credentials are set, else the sandbox stand-ins. */
  oauthProviders?: OAuthProviderClients;
  /** Read at first use, because the stack learns the API and sandbox ports after building the app. */
  currentConfig?: () => TConfig;
}

export const browserBindingCookie = 'sb_oauth_binding';
const callbackPathPrefix = '/oauth/callback';

const ZProviderSchema = z.enum(oauthProviders);
const ZCallbackQuerySchema = z.object({
  code: z.string().min(1).max(4096).optional(),
  state: z.string().min(1).max(4096).optional(),
  error: z.string().max(200).optional(),
});

function servicesFor(deps: ConnectionRouteDeps): () => Promise<ConnectionServices> {
  let services: Promise<ConnectionServices> | undefined;

  return () => {
    services ??= (async () => ({
      prisma: deps.prisma,
      temporal: deps.temporal,
      logger: deps.logger,
      keys: deps.tokenKeys ?? (await resolveTokenEncryptionKeys(deps.config)),
      providers: deps.oauthProviders ?? createOAuthProviderClients(currentConfig(deps)),
    }))();

    return services;
  };
}

function currentConfig(deps: ConnectionRouteDeps): TConfig {
  return deps.currentConfig?.() ?? deps.config;
}

function redirectUri(config: TConfig, provider: string): string {
  return `${config.publicBaseUrl}${callbackPathPrefix}/${provider}`;
}

/** Authenticated routes, mounted under /api/connections. */
export function connectionRoutes(deps: ConnectionRouteDeps): Router {
  const router = Router();
  const services = servicesFor(deps);

  router.get('/', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin', 'auditor']);
    response.json({ connections: await listConnections(deps.prisma, principal.userId) });
  });

  router.post('/:provider/authorize', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const provider = parseOrThrow(ZProviderSchema, request.params.provider, 'provider');
    const { keys, providers } = await services();
    const issued = issueState(
      keys,
      { userId: principal.userId, organizationId: principal.organizationId, provider },
      Date.now(),
    );

    response.cookie(browserBindingCookie, issued.browserBinding, {
      httpOnly: true,
      sameSite: 'lax',
      secure: currentConfig(deps).publicBaseUrl.startsWith('https:'),
      path: callbackPathPrefix,
      maxAge: stateLifetimeMs,
    });
    response.json({
      url: providers[provider].authorizeUrl({
        state: issued.state,
        redirectUri: redirectUri(currentConfig(deps), provider),
      }),
    });
  });

  router.delete('/:provider', async (request, response) => {
    const principal = principalOf(request, ['rep', 'admin']);
    const provider = parseOrThrow(ZProviderSchema, request.params.provider, 'provider');
    const result = await disconnect(await services(), principal, provider);
    if (!result.deleted) {
      throw new AppError(ErrorCode.NotFound, `No ${provider} connection to disconnect`);
    }

    response.json({ provider, revocation: result.revocation });
  });

  return router;
}

/** Builds the public redirect target, mounted at /oauth/callback. */
export function oauthCallbackRoutes(deps: ConnectionRouteDeps): Router {
  const router = Router();
  const services = servicesFor(deps);

  router.get('/:provider', async (request, response) => {
    const fail = (code: string) => redirectToSettings(response, { connection_error: code });
    const provider = ZProviderSchema.safeParse(request.params.provider);
    const query = ZCallbackQuerySchema.safeParse(request.query);
    if (!provider.success || !query.success || query.data.state === undefined) return fail('invalid_request');
    const { keys } = await services();
    const nowMs = Date.now();

    const claims = verifyState(keys, query.data.state, {
      provider: provider.data,
      browserBinding: readCookie(request, browserBindingCookie),
      nowMs,
    });
    if (typeof claims === 'string') return fail(claims);
    if (!(await consumeState(deps.prisma, query.data.state, claims))) return fail('state_used');
    response.clearCookie(browserBindingCookie, { path: callbackPathPrefix });
    if (query.data.error !== undefined)
      return fail(query.data.error === 'access_denied' ? 'access_denied' : 'provider_error');
    if (query.data.code === undefined) return fail('invalid_request');

    try {
      await completeConnection(await services(), claims, {
        code: query.data.code,
        redirectUri: redirectUri(currentConfig(deps), provider.data),
        nowMs,
      });
    } catch (error) {
      deps.logger.warn(
        { userId: claims.userId, provider: provider.data, error: (error as Error).message },
        'OAuth connection failed at the provider',
      );

      return fail('provider_error');
    }

    redirectToSettings(response, { connected: provider.data });
  });

  return router;
}

function redirectToSettings(response: Response, query: Record<string, string>): void {
  response.redirect(302, `/settings?${new URLSearchParams(query).toString()}`);
}

function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      return decodeURIComponent(part.slice(separator + 1).trim());
    }
  }

  return undefined;
}
