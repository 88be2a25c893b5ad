import { log } from '@temporalio/activity';
import type Anthropic from '@anthropic-ai/sdk';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { blockedReasonFor, missingConsent } from '../lib/proposals/consent';
import { qualifiesForProposal } from '../lib/proposals/pricing';
import { createProposalDecisionActivities } from './proposal-decisions';
import { createProposalDraftActivities } from './proposal-draft';
import { changeProposalStatus, findProposal } from './proposal-store';
import type { EmailMessage } from './resend';
import type { AnalysisActivities, ProposalActivities } from './types';

// Proposals from qualifying calls: the trigger after the analysis, consent checks, the rep's deciders and
// status changes. Drafting lives in proposal-draft.ts, decisions, edits and reminders in proposal-decisions.ts.

export interface ProposalActivityOptions {
  prisma: PrismaClient;
  anthropic: Anthropic;
  model: string;
  sendEmail: (message: EmailMessage) => Promise<{ emailId: string }>;
  /** Base URL of the web UI, for the link in reminder emails. */
  appBaseUrl: string;
  reminderHours: number[];
  expiryDays: number;
}

export function createProposalActivities(
  options: ProposalActivityOptions,
): ProposalActivities & Pick<AnalysisActivities, 'openProposalForMeeting'> {
  const { prisma } = options;

  return {
    ...createProposalDraftActivities(options),
    ...createProposalDecisionActivities(options),

    async openProposalForMeeting({ meetingId }) {
      const meeting = await prisma.meeting.findUniqueOrThrow({
        where: { id: meetingId },
        include: { callIntelligence: true, organization: true, prospect: true },
      });
      const verdict = meeting.callIntelligence?.qualification as { qualifies?: boolean; score?: number } | null;
      const qualifies = qualifiesForProposal(
        { qualifies: verdict?.qualifies === true, score: verdict?.score ?? 0 },
        meeting.organization.proposalMinScore,
      );
      if (!qualifies) {
        log.info('Call does not qualify for a proposal', { meetingId, score: verdict?.score ?? null });

        return null;
      }

      // meeting_id is unique, so a retried activity finds the row the first attempt created.
      const proposal = await prisma.proposal.upsert({
        where: { meetingId },
        create: {
          organizationId: meeting.organizationId,
          meetingId,
          prospectId: meeting.prospectId,
          repUserId: meeting.createdById,
          signingPath: meeting.organization.defaultSigningPath,
          signerName: meeting.prospect?.name ?? null,
          signerEmail: meeting.prospect?.email ?? null,
        },
        update: {},
      });
      const missing = await missingConsent(prisma, meeting.organizationId);
      if (missing.length > 0) {
        await prisma.$transaction((tx) =>
          changeProposalStatus(tx, proposal.id, {
            status: 'blocked',
            blockedReason: blockedReasonFor(missing, 'generation'),
          }),
        );
      }
      log.info('Proposal opened for a qualifying call', { meetingId, proposalId: proposal.id, missing });

      return {
        proposalId: proposal.id,
        organizationId: meeting.organizationId,
        reminderHours: options.reminderHours,
        expiryDays: options.expiryDays,
      };
    },

    async loadProposalDeciders({ proposalId }) {
      const proposal = await findProposal(prisma, proposalId);
      const members = await prisma.membership.findMany({
        where: { organizationId: proposal.organizationId, role: { in: ['rep', 'admin'] } },
        select: { userId: true },
        orderBy: { userId: 'asc' },
      });

      return { deciderUserIds: members.map((member) => member.userId) };
    },

    async checkProposalConsent({ proposalId }) {
      const proposal = await findProposal(prisma, proposalId);

      return { missing: await missingConsent(prisma, proposal.organizationId) };
    },

    async recordProposalStatus({ proposalId, status, blockedReason, expiresAtMs, documentSha256 }) {
      await prisma.$transaction((tx) =>
        changeProposalStatus(tx, proposalId, {
          status,
          ...(blockedReason === undefined ? {} : { blockedReason }),
          ...(expiresAtMs === undefined ? {} : { expiresAt: new Date(expiresAtMs) }),
          ...(documentSha256 === undefined ? {} : { documentSha256 }),
        }),
      );
    },
  };
}
