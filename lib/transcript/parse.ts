import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';

import type { ParsedTranscript, TranscriptFormat, Utterance } from './types';

// Turns each accepted transcript file into the product's utterance list. The format is detected from
// the content. The file name is only a hint: a .json file must be valid JSON and a .vtt file must
// start with the WEBVTT header, so a mismatch gets a precise error instead of a plain-text attempt.

export const acceptedTranscriptFormats =
  'QMSum meeting JSON, Harper Valley call JSON, AssemblyAI transcript JSON, Recall.ai transcript JSON, ' +
  'WebVTT with <v Speaker> voice tags, or plain text lines "Speaker: text"';

/** Error for content that is not one of the accepted transcript formats or contains no utterances. */
export class UnsupportedTranscriptError extends Error {
  override readonly name = 'UnsupportedTranscriptError';

  constructor(readonly reason: string) {
    super(`Unsupported transcript: ${reason}. Accepted formats: ${acceptedTranscriptFormats}.`);
  }
}

/** Parses transcript content in any accepted format, using `fileName` only as a hint for .json and .vtt. */
export function parseTranscript(content: string, fileName?: string): ParsedTranscript {
  const text = content.replace(/^\uFEFF/, '');
  if (text.trim() === '') {
    throw new UnsupportedTranscriptError('the content is empty');
  }
  if (looksBinary(text)) {
    throw new UnsupportedTranscriptError('the content is binary, not text');
  }

  const parsed = parseByContent(text, fileName?.toLowerCase() ?? '');
  const utterances = orderByStartWhenTimed(parsed.utterances.filter((utterance) => utterance.text !== ''));
  if (utterances.length === 0) {
    throw new UnsupportedTranscriptError(`the ${formatLabels[parsed.format]} contains no utterances`);
  }

  return { format: parsed.format, utterances };
}

/** Reads a transcript file (UTF-8) and parses it; a read failure names the path. */
export async function readTranscriptFile(path: string): Promise<ParsedTranscript> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Failed to read transcript file ${path}: ${detail}`, { cause: error });
  }

  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UnsupportedTranscriptError(`${path} is not valid UTF-8 text`);
  }

  return parseTranscript(content, basename(path));
}

/** Counts distinct speaker labels. */
export function countSpeakers(utterances: readonly Utterance[]): number {
  return new Set(utterances.map((utterance) => utterance.speaker)).size;
}

/** Counts turns: a turn is a maximal run of consecutive utterances by the same speaker. */
export function countTurns(utterances: readonly Utterance[]): number {
  let turns = 0;
  let previousSpeaker: string | undefined;
  for (const utterance of utterances) {
    if (utterance.speaker !== previousSpeaker) {
      turns += 1;
      previousSpeaker = utterance.speaker;
    }
  }

  return turns;
}

const formatLabels: Record<TranscriptFormat, string> = {
  qmsum: 'QMSum meeting JSON',
  'harper-valley': 'Harper Valley call JSON',
  assemblyai: 'AssemblyAI transcript JSON',
  recall: 'Recall.ai transcript JSON',
  webvtt: 'WebVTT file',
  'plain-text': 'plain text transcript',
};

// A transcript has no use for C0 control characters other than tab, line feed, form feed and carriage
// return, and U+FFFD appears where bytes were not valid UTF-8. Either one marks binary content.
function looksBinary(text: string): boolean {
  return /[\u0000-\u0008\u000B\u000E-\u001F\uFFFD]/.test(text);
}

function parseByContent(text: string, fileNameHint: string): ParsedTranscript {
  const trimmed = text.trimStart();
  // Content starting with "{" or "[" cannot be a plain-text transcript, whose first line must
  // start with a speaker name, so it is read as JSON whatever the file name.
  if (fileNameHint.endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const json = tryParseJson(text);
    if (!json.ok) {
      throw new UnsupportedTranscriptError(`the content is not valid JSON (${json.error})`);
    }

    return parseTranscriptJson(json.value);
  }
  if (/^WEBVTT(?:[ \t]|\r?\n|\r|$)/.test(text)) {
    return { format: 'webvtt', utterances: parseWebVtt(text) };
  }
  if (fileNameHint.endsWith('.vtt')) {
    throw new UnsupportedTranscriptError('the .vtt file does not start with the WEBVTT header');
  }

  return { format: 'plain-text', utterances: parsePlainText(text) };
}

function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function parseTranscriptJson(value: unknown): ParsedTranscript {
  if (isRecord(value) && 'meeting_transcripts' in value) {
    return { format: 'qmsum', utterances: parseQmsum(value) };
  }
  if (isRecord(value) && 'utterances' in value) {
    return { format: 'assemblyai', utterances: parseAssemblyAi(value) };
  }
  if (Array.isArray(value) && value.length > 0) {
    const first: unknown = value[0];
    if (isRecord(first) && 'speaker_role' in first) {
      return { format: 'harper-valley', utterances: parseHarperValley(value) };
    }
    if (isRecord(first) && 'words' in first && ('participant' in first || 'speaker' in first)) {
      return { format: 'recall', utterances: parseRecall(value) };
    }
  }

  throw new UnsupportedTranscriptError('the JSON does not match any accepted transcript shape');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates `value` against a format's schema, turning a mismatch into a message naming the first bad path. */
function parseShape<T>(schema: z.ZodType<T>, value: unknown, format: TranscriptFormat): T {
  const result = schema.safeParse(value);
  if (result.success) {
    return result.data;
  }
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';

  throw new UnsupportedTranscriptError(
    `the ${formatLabels[format]} is invalid${where}: ${issue?.message ?? 'unknown'}`,
  );
}

function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// QMSum (AMI and ICSI meetings) marks non-speech events in braces: {vocalsound}, {disfmarker},
// {gap}, {pause}, {nonvocalsound} and similar. They are not spoken words.
const ZQmsumSchema = z.object({
  meeting_transcripts: z.array(z.object({ speaker: z.string(), content: z.string() })),
});

function parseQmsum(value: unknown): Utterance[] {
  const meeting = parseShape(ZQmsumSchema, value, 'qmsum');

  return meeting.meeting_transcripts.map((turn) => ({
    speaker: collapseSpaces(turn.speaker),
    text: collapseSpaces(turn.content.replace(/\{[a-z_]+\}/gi, ' ')),
  }));
}

// Harper Valley writes non-speech events in square brackets ("[noise]", "[laughter]") and a word the
// transcriber could not make out as "<unk>"; neither carries text. The human transcript is the
// corrected one, so the ASR `transcript` is used only when the human one is missing or blank.
const ZHarperValleySchema = z.array(
  z.object({
    speaker_role: z.string(),
    start_ms: z.number().nonnegative(),
    duration_ms: z.number().nonnegative(),
    transcript: z.string().optional(),
    human_transcript: z.string().optional(),
  }),
);

function parseHarperValley(value: unknown): Utterance[] {
  const segments = parseShape(ZHarperValleySchema, value, 'harper-valley');

  return segments.map((segment) => {
    const human = segment.human_transcript?.trim() ?? '';
    const source = human !== '' ? human : (segment.transcript ?? '');

    return {
      speaker: collapseSpaces(segment.speaker_role),
      text: collapseSpaces(source.replace(/\[[a-z_ -]+\]|<unk>/gi, ' ')),
      startMs: segment.start_ms,
      endMs: segment.start_ms + segment.duration_ms,
    };
  });
}

// AssemblyAI sets `utterances` only when speaker labels were requested, and null otherwise. A
// transcript without speakers is of no use to the conversation metrics, so null is rejected.
const ZAssemblyAiSchema = z.object({
  utterances: z
    .array(z.object({ speaker: z.string(), text: z.string(), start: z.number(), end: z.number() }))
    .nullable(),
});

function parseAssemblyAi(value: unknown): Utterance[] {
  const transcript = parseShape(ZAssemblyAiSchema, value, 'assemblyai');
  if (transcript.utterances === null) {
    throw new UnsupportedTranscriptError('the AssemblyAI transcript has no utterances (speaker_labels was off)');
  }

  return transcript.utterances.map((utterance) => ({
    speaker: assemblyAiSpeakerLabel(utterance.speaker),
    text: collapseSpaces(utterance.text),
    startMs: utterance.start,
    endMs: utterance.end,
  }));
}

// Diarization labels speakers "A", "B", ...; a name set by speaker identification is kept as it is.
function assemblyAiSpeakerLabel(speaker: string): string {
  const label = collapseSpaces(speaker);

  return /^[A-Z]{1,2}$/.test(label) ? `Speaker ${label}` : label;
}

// Recall.ai returns one entry per utterance with its words. The current shape names the speaker in
// `participant` and times words as `{ relative }` seconds from the start of the recording. The older
// shape has `speaker` and `start_time`/`end_time` seconds. Either speaker may be null when someone
// was already talking before the bot joined.
const ZRecallTimestampSchema = z.object({ relative: z.number() }).nullish();
const ZRecallCurrentEntrySchema = z.object({
  participant: z.object({ name: z.string().nullish(), id: z.union([z.number(), z.string()]).nullish() }).nullable(),
  words: z.array(
    z.object({ text: z.string(), start_timestamp: ZRecallTimestampSchema, end_timestamp: ZRecallTimestampSchema }),
  ),
});
const ZRecallLegacyEntrySchema = z.object({
  speaker: z.string().nullable(),
  words: z.array(z.object({ text: z.string(), start_time: z.number().nullish(), end_time: z.number().nullish() })),
});
const ZRecallSchema = z.array(z.union([ZRecallCurrentEntrySchema, ZRecallLegacyEntrySchema]));

interface TimedWord {
  text: string;
  startSeconds: number | undefined;
  endSeconds: number | undefined;
}

function parseRecall(value: unknown): Utterance[] {
  const entries = parseShape(ZRecallSchema, value, 'recall');

  return entries.map((entry) => {
    if ('participant' in entry) {
      const words = entry.words.map((word) => ({
        text: word.text,
        startSeconds: word.start_timestamp?.relative,
        endSeconds: word.end_timestamp?.relative,
      }));

      return recallUtterance(recallParticipantLabel(entry.participant), words);
    }
    const words = entry.words.map((word) => ({
      text: word.text,
      startSeconds: word.start_time ?? undefined,
      endSeconds: word.end_time ?? undefined,
    }));

    return recallUtterance(entry.speaker ? collapseSpaces(entry.speaker) : 'Unknown speaker', words);
  });
}

function recallParticipantLabel(participant: { name?: string | null; id?: number | string | null } | null | undefined) {
  const name = collapseSpaces(participant?.name ?? '');
  if (name !== '') {
    return name;
  }

  return participant?.id === undefined || participant.id === null ? 'Unknown speaker' : `Participant ${participant.id}`;
}

// The utterance spans its first word's start to its last word's end. A missing timing on either
// word leaves the utterance untimed, so the metrics fall back to word counts.
function recallUtterance(speaker: string, words: TimedWord[]): Utterance {
  const utterance: Utterance = { speaker, text: collapseSpaces(words.map((word) => word.text).join(' ')) };
  const first = words[0];
  const last = words[words.length - 1];
  if (first?.startSeconds !== undefined && last?.endSeconds !== undefined) {
    utterance.startMs = Math.round(first.startSeconds * 1000);
    utterance.endMs = Math.round(last.endSeconds * 1000);
  }

  return utterance;
}

// WebVTT cue timing: hours are optional, milliseconds are always three digits.
const cueTimingPattern = /^((?:\d+:)?\d{2}:\d{2}\.\d{3})[ \t]+-->[ \t]+((?:\d+:)?\d{2}:\d{2}\.\d{3})(?:[ \t].*)?$/;
const voiceTagPattern = /<v(?:\.[^\s>]*)?[ \t]+([^>]+)>/g;

function parseWebVtt(text: string): Utterance[] {
  const utterances: Utterance[] = [];
  let previousSpeaker: string | undefined;
  for (const block of splitVttBlocks(text)) {
    // NOTE, STYLE and REGION blocks have no timing line, so they are skipped as non-cues.
    const timingIndex = block.lines.findIndex((line) => cueTimingPattern.test(line));
    const timing = timingIndex === -1 ? null : cueTimingPattern.exec(block.lines[timingIndex] ?? '');
    if (!timing) {
      continue;
    }
    const startMs = vttTimestampToMs(timing[1] ?? '');
    const endMs = vttTimestampToMs(timing[2] ?? '');
    for (const voice of splitCueByVoice(block.lines.slice(timingIndex + 1).join('\n'))) {
      const speaker = voice.speaker ?? previousSpeaker;
      if (speaker === undefined) {
        throw new UnsupportedTranscriptError(
          `the WebVTT cue at line ${block.firstLine + timingIndex} has no <v Speaker> voice tag and no earlier cue names a speaker`,
        );
      }
      previousSpeaker = speaker;
      utterances.push({ speaker, text: voice.text, startMs, endMs });
    }
  }

  return utterances;
}

/** Splits the body after the header block into blank-line-separated blocks; `firstLine` is 1-based. */
function splitVttBlocks(text: string): { firstLine: number; lines: string[] }[] {
  const lines = text.split(/\r\n|\r|\n/);
  const blocks: { firstLine: number; lines: string[] }[] = [];
  let current: { firstLine: number; lines: string[] } | undefined;
  let inHeader = true;
  lines.forEach((line, index) => {
    if (line.trim() === '') {
      inHeader = false;
      current = undefined;
      return;
    }
    if (inHeader) {
      return;
    }
    if (!current) {
      current = { firstLine: index + 1, lines: [] };
      blocks.push(current);
    }
    current.lines.push(line);
  });

  return blocks;
}

function vttTimestampToMs(timestamp: string): number {
  const parts = timestamp.split(':').map(Number);
  const seconds = parts.pop() ?? 0;
  const minutes = parts.pop() ?? 0;
  const hours = parts.pop() ?? 0;

  return Math.round(((hours * 60 + minutes) * 60 + seconds) * 1000);
}

// A cue may hold several voices ("<v A>Yes</v> <v B>No"); each becomes its own utterance with the
// cue's timings. Text before the first voice tag has no speaker of its own.
function splitCueByVoice(payload: string): { speaker: string | undefined; text: string }[] {
  const voices: { speaker: string | undefined; text: string }[] = [];
  let speaker: string | undefined;
  let cursor = 0;
  for (const match of payload.matchAll(voiceTagPattern)) {
    voices.push({ speaker, text: payload.slice(cursor, match.index) });
    speaker = collapseSpaces(decodeVttEntities(match[1] ?? ''));
    cursor = match.index + match[0].length;
  }
  voices.push({ speaker, text: payload.slice(cursor) });

  return voices
    .map((voice) => ({ speaker: voice.speaker, text: collapseSpaces(decodeVttEntities(stripVttTags(voice.text))) }))
    .filter((voice) => voice.text !== '');
}

function stripVttTags(text: string): string {
  return text.replace(/<[^>]*>/g, '');
}

const vttEntities: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&nbsp;': ' ',
  '&lrm;': '',
  '&rlm;': '',
};

function decodeVttEntities(text: string): string {
  return text.replace(/&(?:amp|lt|gt|nbsp|lrm|rlm);/g, (entity) => vttEntities[entity] ?? entity);
}

// "Speaker: text". The label must start with a letter and the colon must be followed by a space or
// the line's end, so "https://..." and "10:30 ..." are not read as speakers.
const speakerLinePattern = /^\s*(\p{L}[^:\n]{0,63}?)\s*:(?:\s+(.*))?$/u;

function parsePlainText(text: string): Utterance[] {
  const utterances: Utterance[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.trim() === '') {
      continue;
    }
    const match = speakerLinePattern.exec(line);
    if (match) {
      utterances.push({ speaker: collapseSpaces(match[1] ?? ''), text: collapseSpaces(match[2] ?? '') });
      continue;
    }
    const previous = utterances[utterances.length - 1];
    if (!previous) {
      throw new UnsupportedTranscriptError('the first text line does not start with "Speaker:"');
    }
    previous.text = collapseSpaces(`${previous.text} ${line}`);
  }

  return utterances;
}

// Harper Valley segments are not always stored in spoken order. Array.prototype.sort is stable, so
// utterances that start together keep their source order.
function orderByStartWhenTimed(utterances: Utterance[]): Utterance[] {
  if (!utterances.every((utterance) => utterance.startMs !== undefined)) {
    return utterances;
  }

  return [...utterances].sort((a, b) => (a.startMs ?? 0) - (b.startMs ?? 0));
}
