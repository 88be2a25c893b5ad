import type { MeetingStatus } from '../workflows/meeting-status';

// Signatures of every activity, as workflows see them. Arguments and results carry ids and small
// facts only: transcripts, analyses and documents stay in the database.

export interface MeetingPlan {
  meetingId: string;
  organizationId: string;
  meetingUrl: string;
  mode: 'record_only' | 'assisted' | 'sage_led';
  /** Join time in epoch milliseconds. */
  joinAtMs: number;
}

export interface MeetingActivities {
  loadMeetingPlan(meetingId: string): Promise<MeetingPlan>;
  recordMeetingStatus(input: {
    meetingId: string;
    status: MeetingStatus;
    /** Earlier statuses reached since the last write, oldest first; each gets its timeline row before `status`. */
    passedThrough?: MeetingStatus[];
    failure?: { code: string; message: string };
  }): Promise<void>;
  recordBot(input: { meetingId: string; botId: string }): Promise<void>;
  createBot(input: {
    meetingId: string;
    organizationId: string;
    meetingUrl: string;
    botName: string;
    idempotencyKey: string;
  }): Promise<{ botId: string }>;
  removeBot(input: { botId: string }): Promise<{ removed: 'deleted' | 'left_call' | 'already_gone' }>;
  storeBotTranscript(input: { meetingId: string; botId: string }): Promise<{ transcriptId: string; turns: number }>;
  issueSageSession(input: { meetingId: string }): Promise<{ expiresWhen: 'call_ended' }>;
  expireSageSession(input: { meetingId: string }): Promise<void>;
}

/** What Stripe says now about a company's subscription, read at the end of a grace period. */
export type PaymentStanding = 'paid' | 'unpaid' | 'subscription_ended';

export interface BillingActivities {
  beginGracePeriod(input: { organizationId: string; graceEndsAtMs: number }): Promise<void>;
  readPaymentStanding(input: { organizationId: string }): Promise<PaymentStanding>;
  restrictPlan(input: { organizationId: string }): Promise<void>;
  endGracePeriod(input: { organizationId: string; outcome: 'paid' | 'subscription_ended' }): Promise<void>;
}

export type AnalysisStep = 'metrics' | 'claude' | 'audio_intelligence' | 'embeddings' | 'prospect_intelligence';

export interface AnalysisActivities {
  startAnalysis(input: { meetingId: string }): Promise<void>;
  computeConversationMetrics(input: { meetingId: string }): Promise<void>;
  analyseCallWithClaude(input: { meetingId: string }): Promise<{ qualifies: boolean; score: number }>;
  submitAudioIntelligence(input: { meetingId: string }): Promise<{ audioTranscriptId: string }>;
  storeAudioIntelligence(input: {
    meetingId: string;
    audioTranscriptId: string;
  }): Promise<{ status: 'completed' | 'error' | 'processing' }>;
  embedTranscript(input: { meetingId: string }): Promise<{ chunks: number }>;
  updateProspectIntelligence(input: { meetingId: string }): Promise<void>;
  recordAnalysisStep(input: {
    meetingId: string;
    step: AnalysisStep;
    outcome: 'failed' | 'skipped';
    code: string;
  }): Promise<void>;
  finishAnalysis(input: { meetingId: string; outcome: 'analysed' | 'failed'; failureCode?: string }): Promise<void>;
  /** Creates the proposal row of a qualifying call, once per meeting; null when the call does not qualify. */
  openProposalForMeeting(input: { meetingId: string }): Promise<ProposalStart | null>;
}

export interface ProposalStart {
  proposalId: string;
  organizationId: string;
  /** Hours after the draft at which the rep is reminded of an undecided proposal. */
  reminderHours: number[];
  /** Days after the draft at which an undecided proposal expires. */
  expiryDays: number;
}

export type ProposalStatus =
  | 'generating'
  | 'blocked'
  | 'awaiting_decision'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'sent'
  | 'signed'
  | 'declined'
  | 'voided'
  | 'failed';

export type ProposalConsentScope = 'generate_from_call_data' | 'use_price_book' | 'require_rep_approval';

/** A rep's edit: new prose or terms, a new item list from the price book, or another signer. */
export interface ProposalChanges {
  title?: string;
  summary?: string;
  terms?: string;
  lineItems?: Array<{ itemId: string; quantity: number }>;
  signer?: { name: string; email: string };
}

export interface ProposalActivities {
  /** Ids of the company's members who may decide (reps and admins). */
  loadProposalDeciders(input: { proposalId: string }): Promise<{ deciderUserIds: string[] }>;
  checkProposalConsent(input: { proposalId: string }): Promise<{ missing: ProposalConsentScope[] }>;
  /** Drafts version 1 with Claude from the call's qualification and the price book; repeat calls return it. */
  draftProposal(input: { proposalId: string }): Promise<{ version: number; contentHash: string }>;
  recordProposalStatus(input: {
    proposalId: string;
    status: ProposalStatus;
    blockedReason?: string;
    expiresAtMs?: number;
    documentSha256?: string;
  }): Promise<void>;
  /** Records an approval or rejection once per update id, with the status it leads to. */
  recordProposalDecision(input: {
    proposalId: string;
    updateId: string;
    kind: 'approve' | 'reject';
    version: number;
    actorUserId: string;
    reason?: string;
  }): Promise<{ contentHash: string }>;
  /** Stores a rep's edit as the next version, once per update id. */
  storeProposalEdit(input: {
    proposalId: string;
    updateId: string;
    actorUserId: string;
    baseVersion: number;
    changes: ProposalChanges;
  }): Promise<{ version: number; contentHash: string }>;
  /** Emails the rep that the proposal still awaits a decision; `reminderNumber` counts from 1. */
  sendProposalReminder(input: { proposalId: string; reminderNumber: number }): Promise<{ emailId: string | null }>;
}
