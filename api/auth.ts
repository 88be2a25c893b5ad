import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  importSPKI,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';

// Bearer JWT authentication with Clerk-compatible claims. Production verifies against the identity
// provider's JWKS (AUTH_JWKS_URL) or a PEM public key (AUTH_PUBLIC_KEY). Without either, and never in
// production, the API trusts a local ES256 key kept in DATA_DIR, and `npm run token` signs with it.

export type Role = 'rep' | 'admin' | 'auditor';

export interface Principal {
  userId: string;
  organizationId: string;
  role: Role;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export const localIssuer = 'sales-blitz-local';
export const localAudience = 'sales-blitz-api';
const algorithms = ['ES256', 'RS256', 'EdDSA'];

const ZClaimsSchema = z.object({
  sub: z.string().min(1),
  // Clerk session tokens v1 carry org_id / org_role; v2 nest them as o.id / o.rol.
  org_id: z.string().min(1).optional(),
  org_role: z.string().optional(),
  o: z.object({ id: z.string().min(1), rol: z.string().optional() }).optional(),
});

/** Maps a Clerk organisation role ("org:admin", "admin", "org:member") to the product's roles. */
export function roleFromClaim(claim: string | undefined): Role | undefined {
  const name = claim?.replace(/^org:/, '');
  if (name === 'admin' || name === 'rep' || name === 'auditor') {
    return name;
  }

  return name === 'member' ? 'rep' : undefined;
}

export function principalFromClaims(payload: JWTPayload): Principal {
  const claims = ZClaimsSchema.safeParse(payload);
  if (!claims.success) {
    throw new AppError(ErrorCode.Unauthenticated, 'The token has no user (sub) claim');
  }
  const organizationId = claims.data.o?.id ?? claims.data.org_id;
  const role = roleFromClaim(claims.data.o?.rol ?? claims.data.org_role);
  if (organizationId === undefined || role === undefined) {
    throw new AppError(
      ErrorCode.Forbidden,
      'The token carries no active organisation with a rep, admin or auditor role',
    );
  }

  return { userId: claims.data.sub, organizationId, role };
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  mode: 'jwks' | 'public_key' | 'local';
}

export async function createTokenVerifier(config: TConfig): Promise<TokenVerifier> {
  const options = {
    algorithms,
    ...(config.AUTH_ISSUER ? { issuer: config.AUTH_ISSUER } : {}),
    ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
  };
  let key: JWTVerifyGetKey | CryptoKey;
  let mode: TokenVerifier['mode'];
  if (config.AUTH_JWKS_URL !== undefined) {
    key = createRemoteJWKSet(new URL(config.AUTH_JWKS_URL));
    mode = 'jwks';
  } else if (config.AUTH_PUBLIC_KEY !== undefined) {
    key = await importSPKI(config.AUTH_PUBLIC_KEY.replace(/\\n/g, '\n'), 'RS256').catch(() =>
      importSPKI(config.AUTH_PUBLIC_KEY!.replace(/\\n/g, '\n'), 'ES256'),
    );
    mode = 'public_key';
  } else {
    if (config.NODE_ENV === 'production') {
      throw new Error('Set AUTH_JWKS_URL or AUTH_PUBLIC_KEY: local token signing is disabled when NODE_ENV=production');
    }
    const { publicJwk } = await loadOrCreateLocalKey(config);
    key = createLocalJWKSet({ keys: [publicJwk] });
    mode = 'local';
  }
  const localOptions = mode === 'local' ? { issuer: localIssuer, audience: localAudience } : {};

  return {
    mode,
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
          ...options,
          ...localOptions,
          clockTolerance: 5,
        });

        return principalFromClaims(payload);
      } catch (error) {
        if (error instanceof AppError) {
          throw error;
        }
        throw new AppError(ErrorCode.Unauthenticated, 'The bearer token is invalid or expired');
      }
    },
  };
}

/** Express middleware: every /api route needs `Authorization: Bearer <jwt>`. */
export function requireAuth(verifier: TokenVerifier) {
  return async (request: Request, _response: Response, next: NextFunction): Promise<void> => {
    const header = request.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] === undefined) {
      next(new AppError(ErrorCode.Unauthenticated, 'Missing bearer token: send Authorization: Bearer <token>'));
      return;
    }
    try {
      request.principal = await verifier.verify(match[1]);
      next();
    } catch (error) {
      next(error);
    }
  };
}

interface LocalKeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

function localKeyPath(config: TConfig): string {
  return path.join(config.DATA_DIR, 'local-auth-key.json');
}

export async function loadOrCreateLocalKey(config: TConfig): Promise<LocalKeyFile> {
  const file = localKeyPath(config);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalKeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read the local signing key ${file}; delete it to make a new one`, { cause: error });
    }
  }
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `local-${Date.now().toString(36)}`;
  const keys: LocalKeyFile = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
  await mkdir(config.DATA_DIR, { recursive: true });
  await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });

  return keys;
}

/** Signs a token with the local key, with the claims a Clerk session token would carry. */
export async function mintLocalToken(
  config: TConfig,
  principal: Principal,
  options: { expiresIn?: string } = {},
): Promise<string> {
  if (config.NODE_ENV === 'production') {
    throw new Error('Local token signing is disabled when NODE_ENV=production');
  }
  const { kid, privateJwk } = await loadOrCreateLocalKey(config);
  const key = await importJWK(privateJwk, 'ES256');

  return new SignJWT({ org_id: principal.organizationId, org_role: `org:${principal.role}` })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setSubject(principal.userId)
    .setIssuer(localIssuer)
    .setAudience(localAudience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(key);
}

/** Returns the request's authenticated user; a role outside `roles` (when given) is refused with 403. */
export function principalOf(request: Request, roles?: Role[]): Principal {
  const principal = request.principal;
  if (principal === undefined) {
    throw new AppError(ErrorCode.Unauthenticated, 'Missing bearer token');
  }
  if (roles !== undefined && !roles.includes(principal.role)) {
    throw new AppError(
      ErrorCode.Forbidden,
      `This action needs the role ${roles.join(' or ')}; you are ${principal.role}`,
    );
  }

  return principal;
}
