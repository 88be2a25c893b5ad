import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../api/auth';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { startTestStack, type TestStack } from './support/stack';

// An admin changes the company's transcript retention through the API, and the expiry of every stored
// transcript of that company (and of no other) follows the new number of days at once.

const dayMs = 86_400_000;
let stack: TestStack;
let prisma: PrismaClient;

interface Company {
  organizationId: string;
  admin: Principal;
  rep: Principal;
  /** Creation time of each transcript, by transcript id. */
  transcripts: Map<string, Date>;
}

let company: Company;
let otherCompany: Company;

beforeAll(async () => {
  stack = await startTestStack({ withoutWorker: true });
  prisma = stack.testDatabase!.prisma;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  company = await seedCompany('kept');
  otherCompany = await seedCompany('other');
});

/** Seeds a company on the default 90 days with transcripts created 10, 40 and 100 days ago. */
async function seedCompany(label: string): Promise<Company> {
  const organizationId = `org_retention_${label}_${randomUUID().slice(0, 8)}`;
  const adminId = `user_admin_${organizationId}`;
  const repId = `user_rep_${organizationId}`;
  await prisma.organization.create({ data: { id: organizationId, name: `Retention ${label}` } });
  for (const [userId, role] of [
    [adminId, 'admin'],
    [repId, 'rep'],
  ] as const) {
    await prisma.user.create({ data: { id: userId, email: `${userId}@example.com` } });
    await prisma.membership.create({ data: { userId, organizationId, role } });
  }
  const transcripts = new Map<string, Date>();
  for (const ageDays of [10, 40, 100]) {
    const createdAt = new Date(Date.now() - ageDays * dayMs);
    const meeting = await prisma.meeting.create({
      data: {
        organizationId,
        createdById: repId,
        platform: 'zoom',
        meetingUrl: `https://zoom.us/j/${ageDays}`,
        mode: 'record_only',
        joinAt: createdAt,
      },
    });
    const transcript = await prisma.transcript.create({
      data: {
        meetingId: meeting.id,
        organizationId,
        sourceFormat: 'recall',
        utterances: [],
        speakerCount: 1,
        turnCount: 1,
        hasTimings: false,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + 90 * dayMs),
      },
    });
    transcripts.set(transcript.id, createdAt);
  }

  return {
    organizationId,
    admin: { userId: adminId, organizationId, role: 'admin' },
    rep: { userId: repId, organizationId, role: 'rep' },
    transcripts,
  };
}

/** Days between each transcript's creation and its expiry, by transcript id. */
async function retentionDaysOf(target: Company): Promise<Record<string, number>> {
  const rows = await prisma.transcript.findMany({ where: { organizationId: target.organizationId } });

  return Object.fromEntries(
    rows.map((row) => [row.id, (row.expiresAt.getTime() - target.transcripts.get(row.id)!.getTime()) / dayMs]),
  );
}

function everyTranscript(target: Company, days: number): Record<string, number> {
  return Object.fromEntries([...target.transcripts.keys()].map((id) => [id, days]));
}

describe('transcript retention setting', () => {
  it('shorter retention moves every expiry', async () => {
    const reply = await stack.request('PUT', '/api/settings/retention', {
      principal: company.admin,
      body: { days: 30 },
    });

    expect(reply.status).toBe(200);
    // The transcripts 40 and 100 days old are past 30 days and go in the next sweep.
    expect(reply.body).toEqual({ days: 30, transcriptsRecomputed: 3, transcriptsExpired: 2 });
    expect(await retentionDaysOf(company)).toEqual(everyTranscript(company, 30));
    const read = await stack.request('GET', '/api/settings/retention', { principal: company.rep });
    expect(read.body).toEqual({ days: 30 });
  });

  it('longer retention keeps old transcripts', async () => {
    const reply = await stack.request('PUT', '/api/settings/retention', {
      principal: company.admin,
      body: { days: 365 },
    });

    expect(reply.body).toEqual({ days: 365, transcriptsRecomputed: 3, transcriptsExpired: 0 });
    expect(await retentionDaysOf(company)).toEqual(everyTranscript(company, 365));
  });

  it('other company is untouched', async () => {
    await stack.request('PUT', '/api/settings/retention', { principal: company.admin, body: { days: 7 } });

    expect(await retentionDaysOf(otherCompany)).toEqual(everyTranscript(otherCompany, 90));
    const read = await stack.request('GET', '/api/settings/retention', { principal: otherCompany.admin });
    expect(read.body).toEqual({ days: 90 });
  });

  it('change leaves an audit record', async () => {
    await stack.request('PUT', '/api/settings/retention', { principal: company.admin, body: { days: 60 } });

    const records = await prisma.auditEvent.findMany({
      where: { organizationId: company.organizationId, action: 'settings.retention_changed' },
    });
    expect(records).toHaveLength(1);
    expect(records[0]!.actorUserId).toBe(company.admin.userId);
    expect(records[0]!.data).toEqual({ fromDays: 90, toDays: 60, transcriptsRecomputed: 3 });
  });

  it('rep cannot change retention', async () => {
    const reply = await stack.request('PUT', '/api/settings/retention', { principal: company.rep, body: { days: 30 } });

    expect(reply.status).toBe(403);
    expect((reply.body as { error: { code: string } }).error.code).toBe('forbidden');
    expect(await retentionDaysOf(company)).toEqual(everyTranscript(company, 90));
  });

  it.each([
    ['zero days', { days: 0 }],
    ['over ten years', { days: 3651 }],
    ['a fraction', { days: 1.5 }],
    ['a string', { days: '30' }],
    ['no days', {}],
    ['an extra field', { days: 30, hours: 1 }],
  ])('invalid body rejected: %s', async (_case, body) => {
    const reply = await stack.request('PUT', '/api/settings/retention', { principal: company.admin, body });

    expect(reply.status).toBe(400);
    expect((reply.body as { error: { code: string } }).error.code).toBe('invalid_request');
    expect(await retentionDaysOf(company)).toEqual(everyTranscript(company, 90));
    const organization = await prisma.organization.findUniqueOrThrow({ where: { id: company.organizationId } });
    expect(organization.transcriptRetentionDays).toBe(90);
  });
});
