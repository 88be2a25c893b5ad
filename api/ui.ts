import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { DEMO_ADMIN_USER_ID, DEMO_AUDITOR_USER_ID, DEMO_REP_USER_ID, OTHER_REP_USER_ID } from '../prisma/seed';
import { mintLocalToken, type TokenVerifier } from './auth';
import { parseOrThrow, sendError } from './errors';

// The web UI: the built files from ui/dist, index.html for every client-side route, and the local sign-in
// that lets a person use the UI on the embedded default without an identity provider. Local sign-in exists
// only where the API trusts its own local signing key, so never when NODE_ENV=production.

export const uiDistDir = path.resolve(fileURLToPath(new URL('../ui/dist', import.meta.url)));

/** Paths the browser may load directly; the UI's router draws the page. */
const clientRoutes = ['/', '/sign-in', '/inbox', '/settings', '/proposals/:id', '/sign/:token'];

/** The seeded users a person can sign in as; any other user id is refused. */
const localSignInUserIds = [DEMO_REP_USER_ID, DEMO_ADMIN_USER_ID, DEMO_AUDITOR_USER_ID, OTHER_REP_USER_ID];

const ZLocalSignInSchema = z.object({ userId: z.string().min(1).max(200) }).strict();

export interface UiDependencies {
  config: TConfig;
  prisma: PrismaClient;
  verifier: TokenVerifier;
  /** Defaults to ui/dist next to this repository's api/ folder. */
  distDir?: string;
}

export function localSignInEnabled(deps: Pick<UiDependencies, 'config' | 'verifier'>): boolean {
  return deps.config.NODE_ENV !== 'production' && deps.verifier.mode === 'local';
}

/** POST /auth/local-sign-in and GET /auth/local-sign-in (the users to pick from); absent in production. */
export function localSignInRoutes(deps: UiDependencies): Router {
  const router = express.Router();
  if (!localSignInEnabled(deps)) {
    return router;
  }

  router.get('/local-sign-in', async (_request, response) => {
    const memberships = await deps.prisma.membership.findMany({
      where: { userId: { in: localSignInUserIds } },
      include: { user: true, organization: true },
      orderBy: [{ organizationId: 'asc' }, { userId: 'asc' }],
    });
    response.json({
      users: memberships.map((membership) => ({
        id: membership.userId,
        name: membership.user.name,
        email: membership.user.email,
        role: membership.role,
        organization: { id: membership.organizationId, name: membership.organization.name },
      })),
    });
  });

  router.post('/local-sign-in', express.json({ limit: '2kb', strict: true }), async (request, response) => {
    const { userId } = parseOrThrow(ZLocalSignInSchema, request.body);
    const membership = localSignInUserIds.includes(userId)
      ? await deps.prisma.membership.findFirst({ where: { userId } })
      : null;
    if (membership === null) {
      throw new AppError(ErrorCode.NotFound, `No seeded user ${userId} to sign in as`);
    }
    const principal = { userId, organizationId: membership.organizationId, role: membership.role };

    response.json({ token: await mintLocalToken(deps.config, principal) });
  });

  return router;
}

/** Static files of the built UI, then index.html for the client-side routes. */
export function uiRoutes(deps: UiDependencies): Router {
  const distDir = deps.distDir ?? uiDistDir;
  const indexFile = path.join(distDir, 'index.html');
  const router = express.Router();

  // Hashed asset names change with their content, so browsers may keep them for a year.
  router.use(
    '/assets',
    express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true }),
  );
  router.use(express.static(distDir, { index: false, maxAge: 0 }));
  router.get(clientRoutes, (_request, response) => {
    if (!existsSync(indexFile)) {
      sendError(response, 503, ErrorCode.ServiceUnavailable, 'The web UI is not built: run npm run ui:build');
      return;
    }
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(indexFile);
  });

  return router;
}
