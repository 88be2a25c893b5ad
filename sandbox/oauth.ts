import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { IssuedAccessToken, SandboxContext } from './context';
import { derivedUuid } from './ids';
import { providerGate, type ProviderErrors } from './provider-gate';

// OAuth 2.0 authorization servers of DocuSign, PandaDoc and Google, mounted at /oauth/docusign, /oauth/pandadoc
// and /oauth/google on the paths the real hosts serve. Authorization is approved at once (302 back to
// redirect_uri with code and state) unless the authorize URL carries `deny=1`, which returns access_denied.
// Access tokens issued here go into `context.oauthAccessTokens`, which the provider API stand-ins check.
// Faults: the `oauth` provider's latency, rate_limit, server_error and invalid_grant from sandbox/faults.ts,
// plus `/_sandbox/oauth/invalid-grant`, which rejects one given refresh token from then on.

type TIssuer = IssuedAccessToken['provider'];

interface IssuerShape {
  issuer: TIssuer;
  authorizePath: string;
  tokenPath: string;
  accountPath: string;
  /** Only Google's client calls a revocation endpoint (see lib/oauth/provider-clients.ts). */
  revokePath?: string;
  accessTokenLifetimeSeconds: number;
  /** True: a refresh returns a new refresh token and retires the old one, so the vault must store the new one. */
  rotatesRefreshTokens: boolean;
  defaultAccount: string;
  scope: string;
}

const issuers: Record<'docusign' | 'pandadoc' | 'google', IssuerShape> = {
  docusign: {
    issuer: 'docusign',
    authorizePath: '/oauth/auth',
    tokenPath: '/oauth/token',
    accountPath: '/oauth/userinfo',
    accessTokenLifetimeSeconds: 28_800,
    rotatesRefreshTokens: true,
    defaultAccount: derivedUuid('sandbox-docusign-account'),
    scope: 'signature extended',
  },
  pandadoc: {
    issuer: 'pandadoc',
    authorizePath: '/oauth2/authorize',
    tokenPath: '/oauth2/access_token',
    accountPath: '/public/v1/members/current',
    accessTokenLifetimeSeconds: 31_535_999,
    rotatesRefreshTokens: true,
    defaultAccount: 'rep@northwind.example',
    scope: 'read+write',
  },
  google: {
    issuer: 'gmail',
    authorizePath: '/o/oauth2/v2/auth',
    tokenPath: '/token',
    accountPath: '/v1/userinfo',
    revokePath: '/revoke',
    accessTokenLifetimeSeconds: 3599,
    rotatesRefreshTokens: false,
    defaultAccount: 'rep@northwind.example',
    scope: 'openid email https://www.googleapis.com/auth/gmail.send',
  },
};

interface Grant {
  issuer: TIssuer;
  account: string;
  scope: string;
  accessTokens: Set<string>;
}

/** State shared by the three issuers and the control routes. */
export class OAuthSandboxState {
  readonly codes = new Map<string, { grant: Grant; redirectUri: string; expiresAtMs: number }>();
  readonly refreshTokens = new Map<string, Grant>();
  /** Refresh tokens rejected with invalid_grant. */
  readonly invalidRefreshTokens = new Set<string>();
  /** Overrides every issuer's access token lifetime, so tests can make tokens expire soon. */
  accessTokenLifetimeSeconds: number | undefined;
}

const oauthErrors: ProviderErrors = {
  unauthenticated: (res) =>
    void res.status(401).json({ error: 'invalid_client', error_description: 'Client authentication failed' }),
  invalidJson: (res) => void res.status(400).json({ error: 'invalid_request' }),
  rateLimited: (res) => void res.status(429).json({ error: 'rate_limited', error_description: 'Too many requests' }),
  serverError: (res) => void res.status(503).json({ error: 'temporarily_unavailable' }),
};

const newToken = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

export function oauthRouter(context: SandboxContext, state: OAuthSandboxState): Router {
  const router = Router();
  router.use(
    providerGate(context, {
      provider: 'oauth',
      errors: oauthErrors,
      // Each route checks its own credentials: client credentials, a bearer token or none.
      isAuthenticated: () => true,
    }),
  );
  router.use(express.urlencoded({ extended: false, limit: '100kb' }));
  for (const [prefix, shape] of Object.entries(issuers)) {
    router.use(`/${prefix}`, issuerRouter(context, state, shape));
  }

  return router;
}

function issuerRouter(context: SandboxContext, state: OAuthSandboxState, shape: IssuerShape): Router {
  const router = Router();

  router.get(shape.authorizePath, (req, res) => authorize(state, shape, req, res));
  router.post(shape.tokenPath, (req, res) => token(context, state, shape, req, res));
  router.get(shape.accountPath, (req, res) => {
    const issued = bearerToken(context, shape, req);
    if (issued === undefined) {
      res.status(401).json({ error: 'invalid_token' });

      return;
    }
    res.json(accountJson(context, shape, issued.account));
  });
  if (shape.revokePath !== undefined) {
    router.post(shape.revokePath, (req, res) => revoke(context, state, req, res));
  }

  return router;
}

const ZAuthorizeQuery = z.object({
  response_type: z.literal('code'),
  client_id: z.string().min(1),
  redirect_uri: z.url(),
  state: z.string().min(1),
  deny: z.literal('1').optional(),
  login_hint: z.string().optional(),
});

function authorize(state: OAuthSandboxState, shape: IssuerShape, req: Request, res: Response): void {
  const query = ZAuthorizeQuery.safeParse(req.query);
  if (!query.success) {
    res.status(400).json({
      error: 'invalid_request',
      error_description: 'response_type, client_id, redirect_uri and state are required',
    });

    return;
  }
  const target = new URL(query.data.redirect_uri);
  target.searchParams.set('state', query.data.state);
  if (query.data.deny === '1') {
    target.searchParams.set('error', 'access_denied');
  } else {
    const code = newToken('code_');
    const grant: Grant = {
      issuer: shape.issuer,
      account: query.data.login_hint ?? shape.defaultAccount,
      scope: shape.scope,
      accessTokens: new Set(),
    };
    state.codes.set(code, { grant, redirectUri: query.data.redirect_uri, expiresAtMs: Date.now() + 10 * 60 * 1000 });
    target.searchParams.set('code', code);
  }
  res.redirect(302, target.toString());
}

function hasClientCredentials(req: Request): boolean {
  const basic = /^Basic (.+)$/.exec(req.get('authorization') ?? '');
  if (basic?.[1] !== undefined) return Buffer.from(basic[1], 'base64').toString().includes(':');
  const body = req.body as Record<string, unknown>;

  return typeof body.client_id === 'string' && typeof body.client_secret === 'string';
}

function invalidGrant(res: Response, description: string): void {
  res.status(400).json({ error: 'invalid_grant', error_description: description });
}

function token(
  context: SandboxContext,
  state: OAuthSandboxState,
  shape: IssuerShape,
  req: Request,
  res: Response,
): void {
  if (!hasClientCredentials(req)) {
    oauthErrors.unauthenticated(res);

    return;
  }
  const body = req.body as Record<string, string | undefined>;
  if (body.grant_type === 'authorization_code') {
    const issued = state.codes.get(body.code ?? '');
    state.codes.delete(body.code ?? '');
    if (issued === undefined || issued.expiresAtMs < Date.now() || issued.grant.issuer !== shape.issuer) {
      invalidGrant(res, 'Authorization code is invalid, expired or already used');

      return;
    }
    if (issued.redirectUri !== body.redirect_uri) {
      invalidGrant(res, 'redirect_uri does not match the authorization request');

      return;
    }
    res.json(issueTokens(context, state, shape, issued.grant, true));

    return;
  }
  if (body.grant_type === 'refresh_token') {
    const refreshToken = body.refresh_token ?? '';
    const grant = state.refreshTokens.get(refreshToken);
    const injected = context.faults.take('oauth', 'invalid_grant') !== undefined;
    if (injected || state.invalidRefreshTokens.has(refreshToken) || grant?.issuer !== shape.issuer) {
      invalidGrant(res, 'Refresh token is invalid, expired or revoked');

      return;
    }
    if (shape.rotatesRefreshTokens) state.refreshTokens.delete(refreshToken);
    res.json(issueTokens(context, state, shape, grant, shape.rotatesRefreshTokens));

    return;
  }
  res.status(400).json({ error: 'unsupported_grant_type' });
}

function issueTokens(
  context: SandboxContext,
  state: OAuthSandboxState,
  shape: IssuerShape,
  grant: Grant,
  withRefresh: boolean,
) {
  const lifetime = state.accessTokenLifetimeSeconds ?? shape.accessTokenLifetimeSeconds;
  const accessToken = newToken(`${shape.issuer}_at_`);
  grant.accessTokens.add(accessToken);
  context.oauthAccessTokens.set(accessToken, {
    provider: shape.issuer,
    account: grant.account,
    expiresAtMs: Date.now() + lifetime * 1000,
  });
  const refreshToken = withRefresh ? newToken(`${shape.issuer}_rt_`) : undefined;
  if (refreshToken !== undefined) state.refreshTokens.set(refreshToken, grant);

  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: lifetime,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    scope: grant.scope,
  };
}

function bearerToken(context: SandboxContext, shape: IssuerShape, req: Request): IssuedAccessToken | undefined {
  const value = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
  const issued = value === undefined ? undefined : context.oauthAccessTokens.get(value);

  return issued !== undefined && issued.provider === shape.issuer && issued.expiresAtMs > Date.now()
    ? issued
    : undefined;
}

function accountJson(context: SandboxContext, shape: IssuerShape, account: string): unknown {
  if (shape.issuer === 'docusign') {
    return {
      sub: derivedUuid('sandbox-docusign-user', account),
      name: 'Sandbox Rep',
      email: 'rep@northwind.example',
      accounts: [
        {
          account_id: account,
          is_default: true,
          account_name: 'Northwind Media',
          base_uri: `${context.baseUrl()}/docusign`,
        },
      ],
    };
  }
  if (shape.issuer === 'pandadoc') {
    return {
      user_id: derivedUuid('sandbox-pandadoc-user', account),
      email: account,
      first_name: 'Sandbox',
      last_name: 'Rep',
    };
  }

  return { sub: derivedUuid('sandbox-google-user', account), email: account, email_verified: true };
}

/** Google's revocation: a refresh or access token ends its whole grant; an unknown token is a 400. */
function revoke(context: SandboxContext, state: OAuthSandboxState, req: Request, res: Response): void {
  const value = (req.body as Record<string, string | undefined>).token ?? '';
  const grant =
    state.refreshTokens.get(value) ??
    [...state.refreshTokens.values()].find((candidate) => candidate.accessTokens.has(value));
  if (grant === undefined && !context.oauthAccessTokens.has(value)) {
    res.status(400).json({ error: 'invalid_token', error_description: 'Token expired or revoked' });

    return;
  }
  context.oauthAccessTokens.delete(value);
  for (const accessToken of grant?.accessTokens ?? []) context.oauthAccessTokens.delete(accessToken);
  for (const [refreshToken, candidate] of state.refreshTokens) {
    if (candidate === grant) state.refreshTokens.delete(refreshToken);
  }
  res.status(200).json({});
}

const ZInvalidGrantRequest = z.object({ refreshToken: z.string().min(1) }).strict();

/** Control routes at /_sandbox/oauth for tests and demos. */
export function oauthControlRouter(state: OAuthSandboxState): Router {
  const router = Router();
  router.use(express.json());

  router.post('/invalid-grant', (req, res) => {
    const parsed = ZInvalidGrantRequest.safeParse(req.body);
    if (!parsed.success) {
      res
        .status(400)
        .json({ error: 'Expected { refreshToken }; inject the invalid_grant fault to reject every refresh' });

      return;
    }
    state.invalidRefreshTokens.add(parsed.data.refreshToken);
    res.status(201).json(parsed.data);
  });

  router.put('/access-token-lifetime', (req, res) => {
    const parsed = z.object({ seconds: z.number().int().min(1).max(31_536_000).nullable() }).safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'Expected { seconds: 1..31536000 or null for each provider’s default }' });

      return;
    }
    state.accessTokenLifetimeSeconds = parsed.data.seconds ?? undefined;
    res.json({ seconds: parsed.data.seconds });
  });

  return router;
}
