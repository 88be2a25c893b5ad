import { Router } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { currentConsent } from '../lib/proposals/consent';
import { consentScopes } from '../lib/proposals/content';
import { principalOf } from './auth';
import { parseOrThrow } from './errors';

// Company settings behind proposals: the three consent boxes (each change appended, never overwritten),
// the price book, the signing path and the qualification rule. Anyone in the company reads them; only an
// admin changes them.

const ZConsentChangeSchema = z.object({ granted: z.boolean() }).strict();
const ZConsentScopeSchema = z.enum(consentScopes);
const ZPriceBookSchema = z
  .object({
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'Use an ISO 4217 code such as USD')
      .optional(),
    terms: z.string().max(20_000).optional(),
  })
  .strict();
const ZNewItemSchema = z
  .object({
    sku: z.string().trim().min(1).max(64),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).default(''),
    unitPriceMinor: z.number().int().min(0).max(1_000_000_000),
    unit: z.string().trim().min(1).max(64),
  })
  .strict();
const ZItemChangesSchema = ZNewItemSchema.partial()
  .extend({ active: z.boolean().optional() })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, { message: 'Name at least one field to change' });
const ZProposalSettingsSchema = z
  .object({
    signingPath: z.enum(['built_in', 'docusign', 'pandadoc']).optional(),
    proposalMinScore: z.number().int().min(0).max(100).optional(),
  })
  .strict();

export interface SettingsRouteDeps {
  prisma: PrismaClient;
}

export function meRoutes({ prisma }: SettingsRouteDeps): Router {
  const router = Router();
  router.get('/', async (request, response) => {
    const principal = principalOf(request);
    const [user, organization] = await Promise.all([
      prisma.user.findUnique({ where: { id: principal.userId } }),
      prisma.organization.findUnique({ where: { id: principal.organizationId } }),
    ]);

    response.json({
      user: { id: principal.userId, name: user?.name ?? null, email: user?.email ?? null },
      organization: { id: principal.organizationId, name: organization?.name ?? principal.organizationId },
      role: principal.role,
    });
  });

  return router;
}

export function settingsRoutes(deps: SettingsRouteDeps): Router {
  const router = Router();
  const { prisma } = deps;

  router.get('/consent', async (request, response) => {
    const { organizationId } = principalOf(request);
    const [boxes, history] = await Promise.all([
      currentConsent(prisma, organizationId),
      prisma.consentRecord.findMany({
        where: { organizationId },
        orderBy: [{ changedAt: 'desc' }, { id: 'desc' }],
        take: 200,
        include: { changedBy: { select: { id: true, name: true } } },
      }),
    ]);

    response.json({
      boxes,
      history: history.map((record) => ({
        scope: record.scope,
        granted: record.granted,
        changedBy: record.changedBy,
        changedAt: record.changedAt,
      })),
    });
  });

  router.put('/consent/:scope', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const scope = parseOrThrow(ZConsentScopeSchema, request.params.scope, 'consent scope');
    const { granted } = parseOrThrow(ZConsentChangeSchema, request.body);
    await ensureUser(prisma, principal.userId);
    const record = await prisma.$transaction(async (tx) => {
      const created = await tx.consentRecord.create({
        data: { organizationId: principal.organizationId, scope, granted, changedById: principal.userId },
      });
      await tx.auditEvent.create({
        data: {
          organizationId: principal.organizationId,
          actorUserId: principal.userId,
          action: granted ? 'consent.granted' : 'consent.withdrawn',
          subjectType: 'consent',
          subjectId: created.id,
          data: { scope, granted },
        },
      });

      return created;
    });

    response.json({ scope, granted, changedBy: { id: principal.userId }, changedAt: record.changedAt });
  });

  router.get('/price-book', async (request, response) => {
    const { organizationId } = principalOf(request);
    response.json(await presentPriceBook(prisma, organizationId));
  });

  router.put('/price-book', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const body = parseOrThrow(ZPriceBookSchema, request.body);
    await prisma.priceBook.upsert({
      where: { organizationId: principal.organizationId },
      create: { organizationId: principal.organizationId, ...body, updatedById: principal.userId },
      update: { ...body, updatedById: principal.userId },
    });

    response.json(await presentPriceBook(prisma, principal.organizationId));
  });

  router.post('/price-book/items', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const body = parseOrThrow(ZNewItemSchema, request.body);
    await prisma.priceBook.upsert({
      where: { organizationId: principal.organizationId },
      create: { organizationId: principal.organizationId, updatedById: principal.userId },
      update: {},
    });
    const duplicate = await prisma.priceBookItem.findUnique({
      where: { organizationId_sku: { organizationId: principal.organizationId, sku: body.sku } },
    });
    if (duplicate !== null) {
      throw new AppError(ErrorCode.Conflict, `An item with SKU ${body.sku} already exists; change it instead`);
    }
    const item = await prisma.priceBookItem.create({ data: { organizationId: principal.organizationId, ...body } });

    response.status(201).json(presentItem(item));
  });

  router.patch('/price-book/items/:id', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const changes = parseOrThrow(ZItemChangesSchema, request.body);
    const item = await findItem(prisma, principal.organizationId, request.params.id);
    const updated = await prisma.priceBookItem.update({ where: { id: item.id }, data: changes });

    response.json(presentItem(updated));
  });

  router.delete('/price-book/items/:id', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const item = await findItem(prisma, principal.organizationId, request.params.id);
    // Deactivated, not deleted: earlier proposal versions still name the item.
    const updated = await prisma.priceBookItem.update({ where: { id: item.id }, data: { active: false } });

    response.json(presentItem(updated));
  });

  router.get('/proposals', async (request, response) => {
    const { organizationId } = principalOf(request);
    response.json(await presentProposalSettings(prisma, organizationId));
  });

  router.put('/proposals', async (request, response) => {
    const principal = principalOf(request, ['admin']);
    const body = parseOrThrow(ZProposalSettingsSchema, request.body);
    await prisma.organization.update({
      where: { id: principal.organizationId },
      data: {
        ...(body.signingPath === undefined ? {} : { defaultSigningPath: body.signingPath }),
        ...(body.proposalMinScore === undefined ? {} : { proposalMinScore: body.proposalMinScore }),
      },
    });

    response.json(await presentProposalSettings(prisma, principal.organizationId));
  });

  return router;
}

async function ensureUser(prisma: PrismaClient, userId: string): Promise<void> {
  await prisma.user.upsert({ where: { id: userId }, create: { id: userId }, update: {} });
}

async function findItem(prisma: PrismaClient, organizationId: string, id: string | undefined) {
  const parsed = z.uuid().safeParse(id);
  const item = parsed.success
    ? await prisma.priceBookItem.findFirst({ where: { id: parsed.data, organizationId } })
    : null;
  if (item === null) {
    throw new AppError(ErrorCode.NotFound, `Price-book item ${id ?? ''} not found`);
  }

  return item;
}

function presentItem(item: {
  id: string;
  sku: string;
  name: string;
  description: string;
  unitPriceMinor: number;
  unit: string;
  active: boolean;
}) {
  const { id, sku, name, description, unitPriceMinor, unit, active } = item;

  return { id, sku, name, description, unitPriceMinor, unit, active };
}

async function presentPriceBook(prisma: PrismaClient, organizationId: string) {
  const priceBook = await prisma.priceBook.findUnique({
    where: { organizationId },
    include: { items: { orderBy: { sku: 'asc' } } },
  });

  return {
    currency: priceBook?.currency ?? 'USD',
    terms: priceBook?.terms ?? '',
    items: (priceBook?.items ?? []).map(presentItem),
  };
}

async function presentProposalSettings(prisma: PrismaClient, organizationId: string) {
  const organization = await prisma.organization.findUnique({ where: { id: organizationId } });
  if (organization === null) {
    throw new AppError(ErrorCode.NotFound, `Organization ${organizationId} not found`);
  }

  return { signingPath: organization.defaultSigningPath, proposalMinScore: organization.proposalMinScore };
}
