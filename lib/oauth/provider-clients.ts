import type { TConfig } from '../config';
import type { TOAuthProvider } from './types';

// OAuth 2.0 authorization-code clients for DocuSign, PandaDoc and Google (Gmail), over plain fetch. Each provider
// uses its real endpoints when the app's client id and secret are configured, and otherwise the sandbox stand-in
// under `${sandboxUrl}/oauth/<provider>`, which serves the same paths.

export interface OAuthTokenSet {
  accessToken: string;
  /** Null when the provider did not issue (or rotate) a refresh token in this response. */
  refreshToken: string | null;
  expiresInSeconds: number;
  scopes: string[];
}

/** A non-2xx response from a provider's OAuth endpoint. `oauthError` is the RFC 6749 `error` field, if any. */
export class OAuthProviderError extends Error {
  override readonly name = 'OAuthProviderError';

  constructor(
    readonly provider: TOAuthProvider,
    readonly status: number,
    readonly oauthError: string | null,
  ) {
    super(
      `The ${provider} OAuth endpoint responded with HTTP ${status}${oauthError === null ? '' : ` (${oauthError})`}`,
    );
  }

  get isInvalidGrant(): boolean {
    return this.oauthError === 'invalid_grant';
  }
}

export type TRevokeOutcome = 'revoked' | 'not_supported';

export interface OAuthProviderClient {
  readonly provider: TOAuthProvider;
  authorizeUrl(input: { state: string; redirectUri: string }): string;
  exchangeCode(input: { code: string; redirectUri: string }): Promise<OAuthTokenSet>;
  refresh(refreshToken: string): Promise<OAuthTokenSet>;
  /** The account the tokens act for: DocuSign's default account id, or the PandaDoc or Google email address. */
  readAccount(accessToken: string): Promise<string | null>;
  revoke(tokens: { accessToken: string; refreshToken: string | null }): Promise<TRevokeOutcome>;
}

export type OAuthProviderClients = Record<TOAuthProvider, OAuthProviderClient>;

interface ProviderEndpoints {
  provider: TOAuthProvider;
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  accountUrl: string;
  /** Null where the provider documents no token revocation endpoint. */
  revokeUrl: string | null;
  scopes: string[];
  /** DocuSign takes the client credentials as HTTP Basic auth; PandaDoc and Google in the form body. */
  clientAuthentication: 'basic' | 'body';
  extraAuthorizeParameters: Record<string, string>;
  accountFromResponse(body: unknown): string | null;
}

const requestTimeoutMs = 10_000;

function docusignEndpoints(config: TConfig): ProviderEndpoints {
  const real = config.DOCUSIGN_CLIENT_ID !== undefined && config.DOCUSIGN_CLIENT_SECRET !== undefined;
  const base = real ? config.DOCUSIGN_OAUTH_BASE_URL : `${config.sandboxUrl}/oauth/docusign`;

  return {
    provider: 'docusign',
    clientId: real ? config.DOCUSIGN_CLIENT_ID! : 'sandbox-docusign-client',
    clientSecret: real ? config.DOCUSIGN_CLIENT_SECRET! : 'sandbox-docusign-secret',
    authorizeUrl: `${base}/oauth/auth`,
    tokenUrl: `${base}/oauth/token`,
    accountUrl: `${base}/oauth/userinfo`,
    // DocuSign's account server documents only /oauth/auth, /oauth/token and /oauth/userinfo. A user withdraws
    // the app's consent in DocuSign's own settings, and the access token stays valid until it expires.
    revokeUrl: null,
    scopes: ['signature', 'extended'],
    clientAuthentication: 'basic',
    extraAuthorizeParameters: {},
    accountFromResponse: (body) => {
      const accounts = (body as { accounts?: { account_id?: string; is_default?: boolean }[] }).accounts ?? [];

      return (accounts.find((account) => account.is_default) ?? accounts[0])?.account_id ?? null;
    },
  };
}

function pandadocEndpoints(config: TConfig): ProviderEndpoints {
  const real = config.PANDADOC_CLIENT_ID !== undefined && config.PANDADOC_CLIENT_SECRET !== undefined;
  const sandbox = `${config.sandboxUrl}/oauth/pandadoc`;

  return {
    provider: 'pandadoc',
    clientId: real ? config.PANDADOC_CLIENT_ID! : 'sandbox-pandadoc-client',
    clientSecret: real ? config.PANDADOC_CLIENT_SECRET! : 'sandbox-pandadoc-secret',
    authorizeUrl: real ? 'https://app.pandadoc.com/oauth2/authorize' : `${sandbox}/oauth2/authorize`,
    tokenUrl: real ? 'https://api.pandadoc.com/oauth2/access_token' : `${sandbox}/oauth2/access_token`,
    accountUrl: real ? 'https://api.pandadoc.com/public/v1/members/current' : `${sandbox}/public/v1/members/current`,
    // NOTE: no token revocation endpoint was found in PandaDoc's public API reference. The user removes the app
    // in PandaDoc, and the access token stays valid until it expires.
    revokeUrl: null,
    scopes: ['read+write'],
    clientAuthentication: 'body',
    extraAuthorizeParameters: {},
    accountFromResponse: (body) => (body as { email?: string }).email ?? null,
  };
}

function googleEndpoints(config: TConfig): ProviderEndpoints {
  const real = config.GOOGLE_CLIENT_ID !== undefined && config.GOOGLE_CLIENT_SECRET !== undefined;
  const sandbox = `${config.sandboxUrl}/oauth/google`;

  return {
    provider: 'gmail',
    clientId: real ? config.GOOGLE_CLIENT_ID! : 'sandbox-google-client',
    clientSecret: real ? config.GOOGLE_CLIENT_SECRET! : 'sandbox-google-secret',
    authorizeUrl: real ? 'https://accounts.google.com/o/oauth2/v2/auth' : `${sandbox}/o/oauth2/v2/auth`,
    tokenUrl: real ? 'https://oauth2.googleapis.com/token' : `${sandbox}/token`,
    accountUrl: real ? 'https://openidconnect.googleapis.com/v1/userinfo' : `${sandbox}/v1/userinfo`,
    revokeUrl: real ? 'https://oauth2.googleapis.com/revoke' : `${sandbox}/revoke`,
    scopes: ['openid', 'email', 'https://www.googleapis.com/auth/gmail.send'],
    clientAuthentication: 'body',
    // Google issues a refresh token only for offline access, and again on a repeated grant only with consent.
    extraAuthorizeParameters: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    accountFromResponse: (body) => (body as { email?: string }).email ?? null,
  };
}

export function createOAuthProviderClients(config: TConfig): OAuthProviderClients {
  return {
    docusign: providerClient(docusignEndpoints(config)),
    pandadoc: providerClient(pandadocEndpoints(config)),
    gmail: providerClient(googleEndpoints(config)),
  };
}

async function postForm(endpoints: ProviderEndpoints, url: string, form: Record<string, string>): Promise<unknown> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  const body = new URLSearchParams(form);
  if (endpoints.clientAuthentication === 'basic') {
    headers.Authorization = `Basic ${Buffer.from(`${endpoints.clientId}:${endpoints.clientSecret}`).toString('base64')}`;
  } else {
    body.set('client_id', endpoints.clientId);
    body.set('client_secret', endpoints.clientSecret);
  }
  const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(requestTimeoutMs) });
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const oauthError = (parsed as { error?: unknown } | undefined)?.error;
    throw new OAuthProviderError(
      endpoints.provider,
      response.status,
      typeof oauthError === 'string' ? oauthError : null,
    );
  }

  return parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toTokenSet(endpoints: ProviderEndpoints, body: unknown): OAuthTokenSet {
  const fields = (body ?? {}) as {
    access_token?: unknown;
    refresh_token?: unknown;
    expires_in?: unknown;
    scope?: unknown;
  };
  if (typeof fields.access_token !== 'string' || fields.access_token === '') {
    throw new OAuthProviderError(endpoints.provider, 200, 'missing_access_token');
  }

  return {
    accessToken: fields.access_token,
    refreshToken: typeof fields.refresh_token === 'string' && fields.refresh_token !== '' ? fields.refresh_token : null,
    // Without expires_in, assume one hour, the lifetime Google and PandaDoc document for access tokens.
    expiresInSeconds: typeof fields.expires_in === 'number' ? fields.expires_in : Number(fields.expires_in ?? 3600),
    scopes: typeof fields.scope === 'string' ? fields.scope.split(/[ +]/).filter(Boolean) : endpoints.scopes,
  };
}

function providerClient(endpoints: ProviderEndpoints): OAuthProviderClient {
  return {
    provider: endpoints.provider,

    authorizeUrl({ state, redirectUri }) {
      const url = new URL(endpoints.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', endpoints.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', endpoints.scopes.join(' '));
      url.searchParams.set('state', state);
      for (const [name, value] of Object.entries(endpoints.extraAuthorizeParameters)) {
        url.searchParams.set(name, value);
      }

      return url.toString();
    },

    async exchangeCode({ code, redirectUri }) {
      const body = await postForm(endpoints, endpoints.tokenUrl, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
      });

      return toTokenSet(endpoints, body);
    },

    async refresh(refreshToken) {
      const body = await postForm(endpoints, endpoints.tokenUrl, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });

      return toTokenSet(endpoints, body);
    },

    async readAccount(accessToken) {
      const response = await fetch(endpoints.accountUrl, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      if (!response.ok) {
        throw new OAuthProviderError(endpoints.provider, response.status, null);
      }

      return endpoints.accountFromResponse(await response.json());
    },

    async revoke({ accessToken, refreshToken }) {
      if (endpoints.revokeUrl === null) {
        return 'not_supported';
      }
      // Revoking Google's refresh token also ends every access token of the same grant.
      const response = await fetch(endpoints.revokeUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken ?? accessToken }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      if (!response.ok) {
        const parsed = parseJson(await response.text()) as { error?: unknown } | undefined;
        throw new OAuthProviderError(
          endpoints.provider,
          response.status,
          typeof parsed?.error === 'string' ? parsed.error : null,
        );
      }

      return 'revoked';
    },
  };
}
