// The product's one transcript shape: speaker-labelled utterances in spoken order.
// Every accepted input format is converted into this before anything else reads it.

export interface Utterance {
  /** Display label of the speaker as the source names them (e.g. "Project Manager", "agent"). */
  speaker: string;
  text: string;
  /** Milliseconds from the start of the call; absent when the source has no timings (QMSum, plain text). */
  startMs?: number;
  endMs?: number;
}

export type TranscriptFormat = 'qmsum' | 'harper-valley' | 'assemblyai' | 'recall' | 'webvtt' | 'plain-text';

export interface ParsedTranscript {
  format: TranscriptFormat;
  utterances: Utterance[];
}
