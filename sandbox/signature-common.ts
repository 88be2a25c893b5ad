import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { SandboxContext } from './context';

// Pieces the Gmail, DocuSign and PandaDoc stand-ins share: bearer tokens checked against the tokens the
// OAuth stand-ins issued, and a control route that issues such a token directly for tests.

export type TSignatureSandboxProvider = 'gmail' | 'docusign' | 'pandadoc';

/** True when the request carries a bearer token issued for this provider that has not expired. */
export function hasIssuedToken(context: SandboxContext, req: Request, provider: TSignatureSandboxProvider): boolean {
  const match = /^Bearer\s+(\S+)$/.exec(req.get('authorization') ?? '');
  const issued = match?.[1] === undefined ? undefined : context.oauthAccessTokens.get(match[1]);

  return issued !== undefined && issued.provider === provider && issued.expiresAtMs > Date.now();
}

/** Issues an access token for `account`, as if the user had just completed the provider's OAuth flow. */
export function issueAccessToken(context: SandboxContext, provider: TSignatureSandboxProvider) {
  return (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { account?: unknown; expiresInSeconds?: unknown };
    const account = typeof body.account === 'string' && body.account !== '' ? body.account : `${provider}-account`;
    const expiresInSeconds = typeof body.expiresInSeconds === 'number' ? body.expiresInSeconds : 3600;
    const accessToken = `sandbox_${provider}_${randomBytes(16).toString('hex')}`;
    context.oauthAccessTokens.set(accessToken, {
      provider,
      account,
      expiresAtMs: Date.now() + expiresInSeconds * 1000,
    });
    res.status(201).json({ accessToken, account });
  };
}
