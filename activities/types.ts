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
}
