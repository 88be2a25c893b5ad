import type { Utterance } from './types';

// Conversation metrics computed locally from the speaker-labelled transcript. Pure and deterministic:
// the same utterances always give the same JSON, so results can be stored and compared.

/** Speaking rate used to estimate a call's length when the transcript has no timings. */
export const estimatedWordsPerMinute = 150;

/**
 * Filler words and phrases, counted as whole words or phrases, case-insensitively. Each key also
 * counts its drawn-out spellings ("umm", "uhh", "hmmm", "mmm", "erm", "ahh").
 * "like" is not counted: as a word match it cannot tell "it was, like, fine" from "I'd like a demo",
 * and the second kind is far more common on sales calls. "kind of" and "sort of" are counted in
 * every use, so "what kind of plan" counts too.
 */
export const fillerWordList = [
  'um',
  'uh',
  'er',
  'ah',
  'hmm',
  'mm',
  'you know',
  'i mean',
  'sort of',
  'kind of',
  'basically',
  'actually',
] as const;

export type FillerWord = (typeof fillerWordList)[number];

export interface SpeakerMetrics {
  speaker: string;
  /** Share of talk time (time basis) or of words (words basis), 0..1; all speakers' shares sum to 1. */
  talkShare: number;
  /** Present only on the time basis. */
  talkTimeMs?: number;
  words: number;
  turns: number;
  questions: number;
  fillerWords: number;
}

/** The longest turn (a maximal run of consecutive utterances by one speaker). */
export interface LongestMonologue {
  speaker: string;
  /** From the turn's first start to its last end; present only on the time basis. */
  durationMs?: number;
  words: number;
  /** Index of the turn's first utterance in the input. */
  startUtterance: number;
}

export interface ConversationMetrics {
  /** `time` when every utterance has startMs and endMs (and some talk time), else `words`. */
  basis: 'time' | 'words';
  durationMinutes: number;
  durationSource: 'timings' | 'estimated_from_words';
  totalWords: number;
  /** In order of first appearance. */
  speakers: SpeakerMetrics[];
  /** Null only for an empty transcript. */
  longestMonologue: LongestMonologue | null;
  questionCount: number;
  questionsPerMinute: number;
  speakerSwitches: number;
  interactiveSwitchesPerMinute: number;
  fillerWords: { total: number; perHundredWords: number; byWord: Record<FillerWord, number> };
}

/** Computes the conversation metrics; ratios are rounded to 4 decimals and rates are 0 for a zero-length call. */
export function computeConversationMetrics(utterances: readonly Utterance[]): ConversationMetrics {
  const timed = hasTimings(utterances);
  const turns = splitIntoTurns(utterances);
  const fillerWords = emptyFillerCounts();
  const bySpeaker = new Map<string, SpeakerTally>();
  let totalWords = 0;
  let questionCount = 0;

  utterances.forEach((utterance) => {
    const tally = tallyFor(bySpeaker, utterance.speaker);
    const words = countWords(utterance.text);
    const questions = countQuestions(utterance.text);
    tally.words += words;
    tally.questions += questions;
    tally.talkTimeMs += timed ? (utterance.endMs ?? 0) - (utterance.startMs ?? 0) : 0;
    tally.fillerWords += countFillerWords(utterance.text, fillerWords);
    totalWords += words;
    questionCount += questions;
  });
  for (const turn of turns) {
    tallyFor(bySpeaker, turn.speaker).turns += 1;
  }

  const durationMinutes = timed ? timedSpanMs(utterances) / 60_000 : totalWords / estimatedWordsPerMinute;
  const speakerSwitches = Math.max(0, turns.length - 1);
  const fillerTotal = sumValues(fillerWords);

  return {
    basis: timed ? 'time' : 'words',
    durationMinutes: round4(durationMinutes),
    durationSource: timed ? 'timings' : 'estimated_from_words',
    totalWords,
    speakers: speakerMetrics(bySpeaker, timed),
    longestMonologue: findLongestMonologue(turns, timed),
    questionCount,
    questionsPerMinute: ratePerMinute(questionCount, durationMinutes),
    speakerSwitches,
    interactiveSwitchesPerMinute: ratePerMinute(speakerSwitches, durationMinutes),
    fillerWords: {
      total: fillerTotal,
      perHundredWords: totalWords === 0 ? 0 : round4((fillerTotal / totalWords) * 100),
      byWord: fillerWords,
    },
  };
}

interface SpeakerTally {
  speaker: string;
  talkTimeMs: number;
  words: number;
  turns: number;
  questions: number;
  fillerWords: number;
}

interface Turn {
  speaker: string;
  startUtterance: number;
  utterances: Utterance[];
}

function tallyFor(bySpeaker: Map<string, SpeakerTally>, speaker: string): SpeakerTally {
  let tally = bySpeaker.get(speaker);
  if (!tally) {
    tally = { speaker, talkTimeMs: 0, words: 0, turns: 0, questions: 0, fillerWords: 0 };
    bySpeaker.set(speaker, tally);
  }

  return tally;
}

// Every utterance needs a usable interval, and the total must be positive, or shares would divide by zero.
function hasTimings(utterances: readonly Utterance[]): boolean {
  let totalMs = 0;
  for (const { startMs, endMs } of utterances) {
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || (endMs ?? 0) < (startMs ?? 0)) {
      return false;
    }
    totalMs += (endMs ?? 0) - (startMs ?? 0);
  }

  return totalMs > 0;
}

function timedSpanMs(utterances: readonly Utterance[]): number {
  const starts = utterances.map((utterance) => utterance.startMs ?? 0);
  const ends = utterances.map((utterance) => utterance.endMs ?? 0);

  return Math.max(...ends) - Math.min(...starts);
}

function splitIntoTurns(utterances: readonly Utterance[]): Turn[] {
  const turns: Turn[] = [];
  utterances.forEach((utterance, index) => {
    const current = turns[turns.length - 1];
    if (current && current.speaker === utterance.speaker) {
      current.utterances.push(utterance);
    } else {
      turns.push({ speaker: utterance.speaker, startUtterance: index, utterances: [utterance] });
    }
  });

  return turns;
}

// The longest turn by time on the time basis, else by words; the earliest wins a tie.
function findLongestMonologue(turns: readonly Turn[], timed: boolean): LongestMonologue | null {
  let longest: { turn: Turn; length: number } | undefined;
  for (const turn of turns) {
    const length = timed ? turnDurationMs(turn) : countTurnWords(turn);
    if (!longest || length > longest.length) {
      longest = { turn, length };
    }
  }
  if (!longest) {
    return null;
  }

  return {
    speaker: longest.turn.speaker,
    ...(timed ? { durationMs: turnDurationMs(longest.turn) } : {}),
    words: countTurnWords(longest.turn),
    startUtterance: longest.turn.startUtterance,
  };
}

function turnDurationMs(turn: Turn): number {
  const first = turn.utterances[0];
  const last = turn.utterances[turn.utterances.length - 1];

  return (last?.endMs ?? 0) - (first?.startMs ?? 0);
}

function countTurnWords(turn: Turn): number {
  return turn.utterances.reduce((sum, utterance) => sum + countWords(utterance.text), 0);
}

function speakerMetrics(bySpeaker: Map<string, SpeakerTally>, timed: boolean): SpeakerMetrics[] {
  const tallies = [...bySpeaker.values()];
  const shares = roundSharesToSumOne(tallies.map((tally) => (timed ? tally.talkTimeMs : tally.words)));

  return tallies.map((tally, index) => {
    return {
      speaker: tally.speaker,
      talkShare: shares[index] ?? 0,
      ...(timed ? { talkTimeMs: tally.talkTimeMs } : {}),
      words: tally.words,
      turns: tally.turns,
      questions: tally.questions,
      fillerWords: tally.fillerWords,
    };
  });
}

// Rounds shares to 4 decimals with the largest-remainder method, so the rounded shares still sum
// to 1 (up to floating-point error). Speakers get equal shares when the total is zero.
function roundSharesToSumOne(amounts: readonly number[]): number[] {
  const total = amounts.reduce((sum, amount) => sum + amount, 0);
  const weights = total > 0 ? amounts : amounts.map(() => 1);
  const weightTotal = total > 0 ? total : amounts.length;
  const exact = weights.map((weight) => (weight / weightTotal) * 10_000);
  const units = exact.map(Math.floor);
  let missing = 10_000 - units.reduce((sum, unit) => sum + unit, 0);
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (missing <= 0) {
      break;
    }
    units[index] = (units[index] ?? 0) + 1;
    missing -= 1;
  }

  return units.map((unit) => unit / 10_000);
}

/** Counts words: whitespace-separated tokens containing a letter or digit, so " ?" is not a word. */
export function countWords(text: string): number {
  let words = 0;
  for (const token of text.split(/\s+/)) {
    if (/[\p{L}\p{N}]/u.test(token)) {
      words += 1;
    }
  }

  return words;
}

// A sentence ends at a run of . ! ? … (or the full-width ？) followed by whitespace, a closing quote
// or bracket, or the end of the text; so "a.com/?q=1" does not end one. QMSum writes "right ?" with
// a space, which the body check below still counts because the body before it contains a word.
const sentenceEndPattern = /[.!?？…]+(?=$|[\s"'”’»)\]])/gu;

/** Counts sentences that end in a question mark. */
export function countQuestions(text: string): number {
  let questions = 0;
  let bodyStart = 0;
  for (const match of text.matchAll(sentenceEndPattern)) {
    const body = text.slice(bodyStart, match.index);
    if (/[?？]/u.test(match[0]) && /[\p{L}\p{N}]/u.test(body)) {
      questions += 1;
    }
    bodyStart = match.index + match[0].length;
  }

  return questions;
}

// Letters, digits, apostrophes and hyphens bound a word, so "umbrella", "uh-huh" and "mm-hmm" do not
// count. Phrase words may be separated by any whitespace but not by punctuation ("you, know").
const fillerPattern =
  /(?<![\p{L}\p{N}'’-])(you\s+know|i\s+mean|sort\s+of|kind\s+of|basically|actually|u+m+|u+h+|er+m?|a+h+|h+m+|m{2,})(?![\p{L}\p{N}'’-])/giu;

function canonicalFiller(match: string): FillerWord {
  const words = match.toLowerCase().split(/\s+/).join(' ');
  if ((fillerWordList as readonly string[]).includes(words)) {
    return words as FillerWord;
  }
  if (/^u+m+$/.test(words)) return 'um';
  if (/^u+h+$/.test(words)) return 'uh';
  if (/^er+m?$/.test(words)) return 'er';
  if (/^a+h+$/.test(words)) return 'ah';
  if (/^h+m+$/.test(words)) return 'hmm';

  return 'mm';
}

function emptyFillerCounts(): Record<FillerWord, number> {
  return Object.fromEntries(fillerWordList.map((word) => [word, 0])) as Record<FillerWord, number>;
}

/** Adds the text's filler words to `counts` and returns how many it found. */
function countFillerWords(text: string, counts: Record<FillerWord, number>): number {
  let found = 0;
  for (const match of text.matchAll(fillerPattern)) {
    counts[canonicalFiller(match[0])] += 1;
    found += 1;
  }

  return found;
}

function sumValues(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

function ratePerMinute(count: number, minutes: number): number {
  return minutes > 0 ? round4(count / minutes) : 0;
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
