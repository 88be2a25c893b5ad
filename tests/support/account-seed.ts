import { createHash, randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../lib/generated/prisma/client';
import { withUserScope } from '../../lib/oauth/rls';

// Seeds one account with at least one row in every table of the public schema, and records where each row
// is, so deletion and export tests can check table by table. Rows are written through Prisma exactly as the
// product writes them; OAuth connections inside the user's row-level-security scope.

export interface SeededRow {
  table: string;
  /** Column that identifies the row (most tables: id). */
  column: string;
  value: string;
}

export interface SeededAccount {
  userId: string;
  organizationId: string;
  email: string;
  botId: string;
  audioTranscriptId: string;
  rows: SeededRow[];
}

/** Seeds `userId` as the only member of a new company, with data in every table. */
export async function seedAccount(prisma: PrismaClient, label: string): Promise<SeededAccount> {
  const tag = `${label}-${randomUUID().slice(0, 8)}`;
  const userId = `user_${tag}`;
  const organizationId = `org_${tag}`;
  const email = `${tag}@example.com`;
  const botId = `bot-${tag}`;
  const audioTranscriptId = `aai-${tag}`;
  const rows: SeededRow[] = [];
  const seen = (table: string, value: string, column = 'id') => rows.push({ table, column, value });
  const now = new Date();
  const later = new Date(now.getTime() + 86_400_000);

  await prisma.organization.create({ data: { id: organizationId, name: `Company ${tag}` } });
  seen('organizations', organizationId);
  await prisma.user.create({ data: { id: userId, email, name: `Rep ${tag}` } });
  seen('users', userId);
  seen('memberships', (await prisma.membership.create({ data: { userId, organizationId, role: 'admin' } })).id);
  const prospect = await prisma.prospect.create({
    data: { organizationId, name: `Prospect ${tag}`, email: `prospect-${tag}@example.com` },
  });
  seen('prospects', prospect.id);
  const meeting = await prisma.meeting.create({
    data: {
      organizationId,
      createdById: userId,
      prospectId: prospect.id,
      platform: 'zoom',
      meetingUrl: `https://zoom.us/j/${tag}`,
      mode: 'assisted',
      joinAt: now,
      botId,
      status: 'analysed',
      sageSessionHash: createHash('sha256').update(`sage-${tag}`).digest('hex'),
      sageSessionExpiresAt: now,
    },
  });
  seen('meetings', meeting.id);
  const transcript = await prisma.transcript.create({
    data: {
      meetingId: meeting.id,
      organizationId,
      sourceFormat: 'recall',
      utterances: [{ speaker: 'Rep', text: `Hello from ${tag}` }],
      speakerCount: 1,
      turnCount: 1,
      hasTimings: false,
      expiresAt: later,
    },
  });
  seen('transcripts', transcript.id);
  const embedding = await prisma.transcriptEmbedding.create({
    data: {
      transcriptId: transcript.id,
      chunkIndex: 0,
      firstUtterance: 0,
      lastUtterance: 0,
      model: 'm',
      vector: [0.1],
    },
  });
  seen('transcript_embeddings', embedding.id);
  const intelligence = await prisma.callIntelligence.create({
    data: { meetingId: meeting.id, organizationId, status: 'analysed', audioTranscriptId },
  });
  seen('call_intelligence', intelligence.id);
  const prospectIntelligence = await prisma.prospectIntelligence.create({
    data: { prospectId: prospect.id, organizationId, meetingIds: [meeting.id], meetingCount: 1 },
  });
  seen('prospect_intelligence', prospectIntelligence.id);
  const webhookEvent = await prisma.webhookEvent.create({
    data: { provider: 'recall', eventId: `evt-${tag}`, eventType: 'bot.done', subjectId: botId },
  });
  seen('webhook_events', webhookEvent.id);
  const audit = await prisma.auditEvent.create({
    data: {
      organizationId,
      actorUserId: userId,
      action: 'meeting.scheduled',
      subjectType: 'meeting',
      subjectId: meeting.id,
    },
  });
  seen('audit_events', audit.id);
  const consent = await prisma.consentRecord.create({
    data: { organizationId, scope: 'generate_from_call_data', granted: true, changedById: userId },
  });
  seen('consent_records', consent.id);

  await seedProposal(prisma, { tag, organizationId, userId, meetingId: meeting.id, prospectId: prospect.id, seen });
  await seedCampaign(prisma, { tag, organizationId, userId, meetingId: meeting.id, prospectId: prospect.id, seen });
  await seedAccountRecords(prisma, { tag, organizationId, userId, meetingId: meeting.id, seen });

  return { userId, organizationId, email, botId, audioTranscriptId, rows };
}

interface SeedContext {
  tag: string;
  organizationId: string;
  userId: string;
  meetingId: string;
  prospectId?: string;
  seen: (table: string, value: string, column?: string) => void;
}

async function seedProposal(prisma: PrismaClient, context: SeedContext & { prospectId: string }): Promise<void> {
  const { tag, organizationId, userId, seen } = context;
  await prisma.priceBook.create({ data: { organizationId, updatedById: userId } });
  seen('price_books', organizationId, 'organization_id');
  const item = await prisma.priceBookItem.create({
    data: { organizationId, sku: `SKU-${tag}`, name: 'Seat', unitPriceMinor: 1000, unit: 'seat / month' },
  });
  seen('price_book_items', item.id);
  const proposal = await prisma.proposal.create({
    data: { organizationId, meetingId: context.meetingId, prospectId: context.prospectId, repUserId: userId },
  });
  seen('proposals', proposal.id);
  const version = await prisma.proposalVersion.create({
    data: { proposalId: proposal.id, version: 1, content: { title: tag }, contentHash: 'h1', createdById: userId },
  });
  seen('proposal_versions', version.id);
  const decision = await prisma.proposalDecision.create({
    data: {
      proposalId: proposal.id,
      kind: 'approve',
      version: 1,
      contentHash: 'h1',
      actorUserId: userId,
      updateId: `update-${tag}`,
    },
  });
  seen('proposal_decisions', decision.id);
  const document = await prisma.document.create({
    data: { organizationId, proposalId: proposal.id, kind: 'io', version: 1, sha256: 'd1', bytes: Buffer.from('%PDF') },
  });
  seen('documents', document.id);
  const signing = await prisma.signingRequest.create({
    data: {
      organizationId,
      proposalId: proposal.id,
      documentId: document.id,
      tokenHash: createHash('sha256').update(`sign-${tag}`).digest('hex'),
      signerName: 'Signer',
      signerEmail: `signer-${tag}@example.com`,
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  seen('signing_requests', signing.id);
  const envelope = await prisma.envelope.create({
    data: { organizationId, proposalId: proposal.id, provider: 'docusign', externalId: `env-${tag}`, status: 'sent' },
  });
  seen('envelopes', envelope.id);
  const cover = await prisma.coverEmail.create({
    data: { organizationId, proposalId: proposal.id, senderUserId: userId, messageIdHeader: `<${tag}@example.com>` },
  });
  seen('cover_emails', cover.id);
}

async function seedCampaign(prisma: PrismaClient, context: SeedContext & { prospectId: string }): Promise<void> {
  const { tag, organizationId, userId, seen } = context;
  const campaign = await prisma.campaign.create({
    data: { organizationId, createdById: userId, name: `Campaign ${tag}`, instantlyCampaignId: `inst-${tag}` },
  });
  seen('campaigns', campaign.id);
  const recipient = await prisma.campaignRecipient.create({
    data: { campaignId: campaign.id, prospectId: context.prospectId, email: `prospect-${tag}@example.com` },
  });
  seen('campaign_recipients', recipient.id);
  const suppression = await prisma.emailSuppression.create({
    data: { organizationId, email: `gone-${tag}@example.com`, reason: 'unsubscribed' },
  });
  seen('email_suppressions', suppression.id);
  const booking = await prisma.calBooking.create({
    data: {
      organizationId,
      uid: `booking-${tag}`,
      campaignId: campaign.id,
      prospectId: context.prospectId,
      meetingId: context.meetingId,
      startTime: new Date(),
    },
  });
  seen('cal_bookings', booking.id);
}

async function seedAccountRecords(prisma: PrismaClient, context: SeedContext): Promise<void> {
  const { tag, organizationId, userId, seen } = context;
  await prisma.billingAccount.create({ data: { organizationId, stripeCustomerId: `cus_${tag}` } });
  seen('billing_accounts', organizationId, 'organization_id');
  const usage = await prisma.usageRecord.create({
    data: { organizationId, meetingId: context.meetingId, userId, metric: 'recorded_minutes', quantity: 30 },
  });
  seen('usage_records', usage.id);
  const logEntry = await prisma.applicationLog.create({
    data: { organizationId, userId, level: 'info', message: 'Meeting scheduled' },
  });
  seen('application_logs', logEntry.id);
  const connection = await withUserScope(prisma, userId, (tx) =>
    tx.oAuthConnection.create({
      data: {
        userId,
        organizationId,
        provider: 'gmail',
        scopes: ['gmail.send'],
        keyId: 'k1',
        accessTokenCiphertext: 'c2VhbGVk',
        accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
      },
    }),
  );
  seen('oauth_connections', connection.id);
  const run = await prisma.retentionRun.create({ data: { scheduledFor: new Date(), workflowId: `retention-${tag}` } });
  seen('retention_runs', run.id);
  const receipt = await prisma.subprocessorDeletion.create({
    data: { organizationId, provider: 'recall', externalId: `old-bot-${tag}`, reason: 'retention', runId: run.id },
  });
  seen('subprocessor_deletions', receipt.id);
  const deletion = await prisma.accountDeletionRequest.create({
    data: { userId, status: 'cancelled', deleteAfter: new Date() },
  });
  seen('account_deletion_requests', deletion.id);
  const dataExport = await prisma.dataExport.create({ data: { userId, status: 'failed' } });
  seen('data_exports', dataExport.id);
}

/** Tables of the public schema, except Prisma's migration log. */
export async function publicTables(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<Array<{ table_name: string }>>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
    ORDER BY table_name`;

  return rows.map((row) => row.table_name);
}

/** How many of `rows` still exist, read inside `userId`'s scope so row-level security shows its connections. */
export async function countRemaining(prisma: PrismaClient, userId: string, rows: SeededRow[]): Promise<number> {
  return withUserScope(prisma, userId, async (tx) => {
    let remaining = 0;
    for (const row of rows) {
      const found = await tx.$queryRawUnsafe<Array<{ n: bigint }>>(
        `SELECT count(*) AS n FROM "${row.table}" WHERE ${row.column}::text = $1`,
        row.value,
      );
      remaining += Number(found[0]?.n ?? 0);
    }

    return remaining;
  });
}
