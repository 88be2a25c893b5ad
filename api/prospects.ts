import { Router } from 'express';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { principalOf } from './auth';

// The company's prospects, so a rep can pick the ids a campaign or a meeting names.

export function prospectRoutes({ prisma }: { prisma: PrismaClient }): Router {
  const router = Router();

  router.get('/', async (request, response) => {
    const { organizationId } = principalOf(request);
    const prospects = await prisma.prospect.findMany({
      where: { organizationId },
      orderBy: { name: 'asc' },
      take: 500,
      select: { id: true, name: true, company: true, email: true, createdAt: true },
    });

    response.json({ prospects });
  });

  return router;
}
