import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createProposalActivities } from '../../activities/proposals';
import type { ProposalStart } from '../../activities/types';
import type { Prisma, PrismaClient } from '../../lib/generated/prisma/client';
import { consentScopes, type TConsentScope } from '../../lib/proposals/content';
import { readTranscriptFile } from '../../lib/transcript';
import { demoPriceBookItems, demoPriceBookTerms } from '../../prisma/seed';
import { analyseCall } from '../../sandbox/call-analysis';
import { proposal, proposalWorkflowId } from '../../workflows/proposal';
import type { TestStack } from './stack';
import { waitFor } from './wait';

// Proposals for tests: a qualified, analysed meeting built from a real QMSum transcript, the company's
// consent and price book, and a proposal started the way a finished analysis starts it (the real
// openProposalForMeeting activity, then the proposal workflow with the id the analysis would give it).

export const qmsumFixtureDir = '/work/shared/fixtures/transcripts/qmsum';

export interface QualifiedMeetingOptions {
  organizationId: string;
  /** The rep who ran the call and decides on its proposal. */
  repUserId: string;
  /** File name under the QMSum fixture folder; ES2005a.json by default. */
  fixture?: string;
  prospectId?: string;
  /** Score written into the verdict; 80 by default, so the call clears the default minimum of 60. */
  score?: number;
  qualifies?: boolean;
}

/**
 * Creates an analysed meeting with its transcript and call intelligence. The qualification and its evidence
 * quotes come from the sandbox's deterministic reading of the real transcript; only the verdict (qualifies,
 * score) is set by the caller, so a test controls whether the call qualifies.
 */
export async function seedQualifiedMeeting(
  prisma: PrismaClient,
  options: QualifiedMeetingOptions,
): Promise<{ meetingId: string }> {
  const transcript = await readTranscriptFile(path.join(qmsumFixtureDir, options.fixture ?? 'ES2005a.json'));
  const analysis = analyseCall(transcript.utterances);
  const qualification = {
    ...analysis.qualification,
    qualifies: options.qualifies ?? true,
    score: options.score ?? 80,
  };
  const meeting = await prisma.meeting.create({
    data: {
      organizationId: options.organizationId,
      createdById: options.repUserId,
      prospectId: options.prospectId ?? null,
      title: `Call from ${options.fixture ?? 'ES2005a.json'}`,
      platform: 'zoom',
      meetingUrl: 'https://zoom.us/j/1000000001',
      mode: 'record_only',
      joinAt: new Date(),
      status: 'analysed',
    },
  });
  await prisma.transcript.create({
    data: {
      meetingId: meeting.id,
      organizationId: options.organizationId,
      sourceFormat: 'qmsum',
      utterances: transcript.utterances as unknown as Prisma.InputJsonValue,
      speakerCount: new Set(transcript.utterances.map((utterance) => utterance.speaker)).size,
      turnCount: transcript.utterances.length,
      hasTimings: false,
      expiresAt: new Date(Date.now() + 90 * 86_400_000),
    },
  });
  await prisma.callIntelligence.create({
    data: {
      meetingId: meeting.id,
      organizationId: options.organizationId,
      status: 'analysed',
      summary: analysis.summary,
      qualification,
      followUpEmail: analysis.followUpEmail,
      conversationPatterns: analysis.conversationPatterns,
      model: 'sandbox',
      analysedAt: new Date(),
    },
  });

  return { meetingId: meeting.id };
}

/** Records one consent change per scope, as the admin's settings page does. */
export async function setConsent(
  prisma: PrismaClient,
  organizationId: string,
  adminUserId: string,
  granted: boolean,
  scopes: readonly TConsentScope[] = consentScopes,
): Promise<void> {
  for (const scope of scopes) {
    await prisma.consentRecord.create({ data: { organizationId, scope, granted, changedById: adminUserId } });
  }
}

export function grantAllConsent(prisma: PrismaClient, organizationId: string, adminUserId: string): Promise<void> {
  return setConsent(prisma, organizationId, adminUserId, true);
}

/** Gives a company the demo price book (org_demo has it from the seed already). */
export async function seedPriceBook(prisma: PrismaClient, organizationId: string): Promise<void> {
  await prisma.priceBook.upsert({
    where: { organizationId },
    create: { organizationId, currency: 'USD', terms: demoPriceBookTerms },
    update: {},
  });
  for (const item of demoPriceBookItems) {
    await prisma.priceBookItem.upsert({
      where: { organizationId_sku: { organizationId, sku: item.sku } },
      create: { organizationId, ...item },
      update: {},
    });
  }
}

/** Runs the real `openProposalForMeeting` activity, as the analysis workflow does after a qualifying verdict. */
export async function openProposalForMeeting(
  prisma: PrismaClient,
  meetingId: string,
  settings: { reminderHours?: number[]; expiryDays?: number } = {},
): Promise<ProposalStart | null> {
  const activities = createProposalActivities({
    prisma,
    // The trigger reads only the database; the model and email are not used on this path.
    anthropic: undefined as unknown as Anthropic,
    model: 'unused',
    sendEmail: () => Promise.reject(new Error('The trigger sends no email')),
    appBaseUrl: 'http://127.0.0.1',
    reminderHours: settings.reminderHours ?? [24, 72],
    expiryDays: settings.expiryDays ?? 14,
  });

  return new MockActivityEnvironment().run(activities.openProposalForMeeting, { meetingId });
}

/** Starts the proposal workflow with the id and input the analysis workflow would give it. */
export async function startProposalWorkflow(temporal: Client, taskQueue: string, opened: ProposalStart) {
  return temporal.workflow.start(proposal, {
    workflowId: proposalWorkflowId(opened.proposalId),
    taskQueue,
    args: [opened],
  });
}

export function waitForProposalStatus(prisma: PrismaClient, proposalId: string, statuses: readonly string[]) {
  return waitFor(
    () => prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } }),
    (row) => statuses.includes(row.status),
    `proposal ${proposalId} to reach ${statuses.join(' or ')}`,
  );
}

export interface StartedProposal {
  proposalId: string;
  meetingId: string;
}

/**
 * On a running test stack: seeds a qualified meeting for the rep, grants all three consents (unless
 * `consent: false`), gives the company a price book, and starts its proposal through the real trigger.
 * Resolves once the proposal awaits a decision, or is blocked when consent was withheld.
 */
export async function startQualifiedProposal(
  stack: TestStack,
  options: QualifiedMeetingOptions & { adminUserId: string; consent?: boolean },
): Promise<StartedProposal> {
  const prisma = stack.database.prisma;
  if (options.consent !== false) {
    await grantAllConsent(prisma, options.organizationId, options.adminUserId);
  }
  await seedPriceBook(prisma, options.organizationId);
  const { meetingId } = await seedQualifiedMeeting(prisma, options);
  const opened = await openProposalForMeeting(prisma, meetingId, {
    reminderHours: stack.config.PROPOSAL_REMINDER_HOURS,
    expiryDays: stack.config.PROPOSAL_EXPIRY_DAYS,
  });
  if (opened === null) {
    throw new Error(`Meeting ${meetingId} did not qualify for a proposal`);
  }
  await startProposalWorkflow(stack.temporal, stack.config.TEMPORAL_TASK_QUEUE, opened);
  await waitForProposalStatus(prisma, opened.proposalId, ['awaiting_decision', 'blocked', 'failed']);

  return { proposalId: opened.proposalId, meetingId };
}
