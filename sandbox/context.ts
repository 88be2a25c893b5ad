import type { Logger } from '../lib/logger';
import type { Utterance } from '../lib/transcript/types';
import type { FaultBook, RequestJournal } from './faults';
import type { Scheduler } from './scheduler';

// State shared by the stand-ins of one sandbox server. Recall's recordings are read by the AssemblyAI
// stand-in, because the product sends a recording's video URL to AssemblyAI as the audio to analyse.

export interface CallScenario {
  meetingUrl: string;
  utterances: Utterance[];
  neverJoin: boolean;
  fatal: boolean;
  stepDelayMs?: number;
}

export interface RecordedCall {
  recordingId: string;
  botId: string;
  /** Wall-clock time the bot started recording; word timestamps are relative to it. */
  recordingStartedAt: Date;
  utterances: Utterance[];
}

/** An access token one of the OAuth stand-ins (DocuSign, PandaDoc, Google) issued. */
export interface IssuedAccessToken {
  provider: 'docusign' | 'pandadoc' | 'gmail';
  /** The account the token acts for (email address or account id). */
  account: string;
  expiresAtMs: number;
}

export interface SandboxContext {
  /** The server's own base URL (e.g. http://127.0.0.1:3100), known once it listens. */
  baseUrl: () => string;
  log: Logger;
  scheduler: Scheduler;
  faults: FaultBook;
  journal: RequestJournal;
  stepDelayMs: number;
  audioWebhookDelayMs: number;
  webhookRetryDelaysMs: readonly number[];
  recallWebhookUrl: string;
  recallWebhookSecret: string;
  scenarios: Map<string, CallScenario>;
  recordings: Map<string, RecordedCall>;
  /** Access tokens issued by the OAuth stand-ins, by token value; the provider APIs accept only these. */
  oauthAccessTokens: Map<string, IssuedAccessToken>;
}

/** Path of a recording's mixed video, which is also the audio the AssemblyAI stand-in recognises. */
export function recordingVideoPath(recordingId: string): string {
  return `/recall/media/${recordingId}/video.mp4`;
}

export function recordingTranscriptPath(recordingId: string): string {
  return `/recall/media/${recordingId}/transcript.json`;
}

/** Finds the played call behind a video URL, whatever host the caller wrote in it. */
export function findRecordingByVideoUrl(context: SandboxContext, audioUrl: string): RecordedCall | undefined {
  let pathname: string;
  try {
    pathname = new URL(audioUrl).pathname;
  } catch {
    return undefined;
  }
  const match = /^\/recall\/media\/([^/]+)\/video\.mp4$/.exec(pathname);

  return match?.[1] === undefined ? undefined : context.recordings.get(match[1]);
}
