import type { Utterance } from '../lib/transcript/types';

// Word timings of a played call, because Recall's transcript and AssemblyAI's result both give per-word
// times. When the scenario's utterances carry none, speech is synthesised at 150 words per minute
// (400 ms a word) with a 400 ms pause between utterances.

export const synthesisedWordMs = 400;
const pauseBetweenUtterancesMs = 400;

export interface TimedWord {
  text: string;
  startMs: number;
  endMs: number;
}

export interface TimedUtterance {
  speaker: string;
  text: string;
  startMs: number;
  endMs: number;
  words: TimedWord[];
}

/** Splits each utterance into words and gives every word a start and end in milliseconds from call start. */
export function timeUtterances(utterances: readonly Utterance[]): TimedUtterance[] {
  const timed: TimedUtterance[] = [];
  let cursorMs = 0;

  for (const utterance of utterances) {
    const wordTexts = utterance.text.split(/\s+/).filter((word) => word !== '');
    const hasTimings =
      utterance.startMs !== undefined && utterance.endMs !== undefined && utterance.endMs >= utterance.startMs;
    const startMs = hasTimings ? utterance.startMs! : cursorMs;
    const endMs = hasTimings ? utterance.endMs! : startMs + Math.max(1, wordTexts.length) * synthesisedWordMs;
    const wordMs = wordTexts.length === 0 ? 0 : (endMs - startMs) / wordTexts.length;
    const words = wordTexts.map((text, index) => ({
      text,
      startMs: Math.round(startMs + index * wordMs),
      endMs: Math.round(startMs + (index + 1) * wordMs),
    }));

    timed.push({ speaker: utterance.speaker, text: utterance.text, startMs, endMs, words });
    cursorMs = Math.max(cursorMs, endMs + pauseBetweenUtterancesMs);
  }

  return timed;
}

/** Speakers in order of first appearance. */
export function speakersInOrder(utterances: readonly { speaker: string }[]): string[] {
  return [...new Set(utterances.map((utterance) => utterance.speaker))];
}
