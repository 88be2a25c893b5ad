import { pathToFileURL } from 'node:url';

import { loadConfig } from '../lib/config';
import { openDatabase } from '../lib/database';
import { plans } from '../lib/billing/plans';
import type { PrismaClient } from '../lib/generated/prisma/client';

// Demo data for local runs and tests: one company with a rep, an admin and an auditor, a prospect to call,
// and a second company whose records the first company's users must never see.

export const DEMO_ORGANIZATION_ID = 'org_demo';
export const DEMO_REP_USER_ID = 'user_demo_rep';
export const DEMO_ADMIN_USER_ID = 'user_demo_admin';
export const DEMO_AUDITOR_USER_ID = 'user_demo_auditor';
export const DEMO_PROSPECT_ID = '5b0d7c1e-3f2a-4c6b-9e8d-1a2b3c4d5e6f';
export const DEMO_PROSPECT_EMAIL = 'dana@contoso.example';

export const OTHER_ORGANIZATION_ID = 'org_other';
export const OTHER_REP_USER_ID = 'user_other_rep';

type TDemoMember = {
  userId: string;
  email: string;
  name: string;
  organizationId: string;
  role: 'rep' | 'admin' | 'auditor';
};

const demoMembers: TDemoMember[] = [
  {
    userId: DEMO_REP_USER_ID,
    email: 'rep@northwind.example',
    name: 'Riley Rep',
    organizationId: DEMO_ORGANIZATION_ID,
    role: 'rep',
  },
  {
    userId: DEMO_ADMIN_USER_ID,
    email: 'admin@northwind.example',
    name: 'Avery Admin',
    organizationId: DEMO_ORGANIZATION_ID,
    role: 'admin',
  },
  {
    userId: DEMO_AUDITOR_USER_ID,
    email: 'auditor@northwind.example',
    name: 'Alex Auditor',
    organizationId: DEMO_ORGANIZATION_ID,
    role: 'auditor',
  },
  {
    userId: OTHER_REP_USER_ID,
    email: 'rep@other.example',
    name: 'Morgan Other',
    organizationId: OTHER_ORGANIZATION_ID,
    role: 'rep',
  },
];

/** The demo company's price book: the only source of proposal line items. Prices in cents. */
export const demoPriceBookItems = [
  { sku: 'NW-DISPLAY', name: 'Display advertising', unit: '1,000 impressions', unitPriceMinor: 1_200 },
  { sku: 'NW-VIDEO', name: 'Pre-roll video advertising', unit: '1,000 impressions', unitPriceMinor: 2_800 },
  { sku: 'NW-NEWSLETTER', name: 'Newsletter sponsorship', unit: 'issue', unitPriceMinor: 150_000 },
  { sku: 'NW-REPORTING', name: 'Campaign performance reporting', unit: 'month', unitPriceMinor: 50_000 },
] as const;

export const demoPriceBookTerms =
  'Net 30 from invoice date. Campaigns start within 10 business days of signature. Either party may cancel ' +
  'unserved inventory with 14 days written notice.';

/** Creates the demo companies, users, memberships and prospect, or brings existing rows back to these values. */
export async function seedDemoData(prisma: PrismaClient): Promise<void> {
  await prisma.organization.upsert({
    where: { id: DEMO_ORGANIZATION_ID },
    create: { id: DEMO_ORGANIZATION_ID, name: 'Northwind Media' },
    update: { name: 'Northwind Media' },
  });
  await prisma.organization.upsert({
    where: { id: OTHER_ORGANIZATION_ID },
    create: { id: OTHER_ORGANIZATION_ID, name: 'Other Company' },
    update: { name: 'Other Company' },
  });

  for (const member of demoMembers) {
    await prisma.user.upsert({
      where: { id: member.userId },
      create: { id: member.userId, email: member.email, name: member.name },
      update: { email: member.email, name: member.name },
    });
    await prisma.membership.upsert({
      where: { userId_organizationId: { userId: member.userId, organizationId: member.organizationId } },
      create: { userId: member.userId, organizationId: member.organizationId, role: member.role },
      update: { role: member.role },
    });
  }

  await prisma.prospect.upsert({
    where: { id: DEMO_PROSPECT_ID },
    create: {
      id: DEMO_PROSPECT_ID,
      organizationId: DEMO_ORGANIZATION_ID,
      name: 'Dana Whitfield',
      company: 'Contoso Retail',
      email: DEMO_PROSPECT_EMAIL,
    },
    update: { name: 'Dana Whitfield', company: 'Contoso Retail', email: DEMO_PROSPECT_EMAIL },
  });
  await seedDemoPriceBook(prisma);
  // The demo company is on the pro plan, so repeated local runs of the main job stay within its recorded
  // minutes. Other companies start on the free plan. A plan changed later through Stripe is kept.
  await prisma.billingAccount.upsert({
    where: { organizationId: DEMO_ORGANIZATION_ID },
    create: {
      organizationId: DEMO_ORGANIZATION_ID,
      plan: plans.pro.name,
      status: 'active',
      recordedMinutesPerMonth: plans.pro.recordedMinutesPerMonth,
    },
    update: {},
  });
}

/** Creates the demo price book once; an admin's later changes to it are kept. */
async function seedDemoPriceBook(prisma: PrismaClient): Promise<void> {
  await prisma.priceBook.upsert({
    where: { organizationId: DEMO_ORGANIZATION_ID },
    create: { organizationId: DEMO_ORGANIZATION_ID, currency: 'USD', terms: demoPriceBookTerms },
    update: {},
  });
  for (const item of demoPriceBookItems) {
    await prisma.priceBookItem.upsert({
      where: { organizationId_sku: { organizationId: DEMO_ORGANIZATION_ID, sku: item.sku } },
      create: { organizationId: DEMO_ORGANIZATION_ID, ...item },
      update: {},
    });
  }
}

// `tsx prisma/seed.ts` seeds the configured database (DATABASE_URL, else the PGlite directory); migrate it first.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, pgliteDir: config.pgliteDir });
  try {
    await seedDemoData(database.prisma);
    console.log(`Seeded demo data (${DEMO_ORGANIZATION_ID}, ${OTHER_ORGANIZATION_ID}) into ${database.kind}.`);
  } finally {
    await database.close();
  }
}
