import type { Utterance } from './types';

// The text form of a transcript that the analysis model reads: one line per utterance,
// "<speaker>: <text>", inside <transcript> tags. Line breaks inside an utterance become spaces so
// that every line starts with its speaker; evidence quotes are checked against the utterance texts.

export const transcriptOpenTag = '<transcript>';
export const transcriptCloseTag = '</transcript>';

export function renderTranscriptLines(utterances: readonly Utterance[]): string {
  return utterances.map((utterance) => `${oneLine(utterance.speaker)}: ${oneLine(utterance.text)}`).join('\n');
}

export function renderTranscriptForPrompt(utterances: readonly Utterance[]): string {
  return `${transcriptOpenTag}\n${renderTranscriptLines(utterances)}\n${transcriptCloseTag}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
