import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  countSpeakers,
  countTurns,
  parseTranscript,
  readTranscriptFile,
  UnsupportedTranscriptError,
} from '../lib/transcript/parse';
import { truncateToCodePoints } from '../lib/transcript/truncate';
import type { Utterance } from '../lib/transcript/types';

const fixtures = '/work/shared/fixtures/transcripts';
const harperValleyCalls = ['0002f70f7386445b', '004860b1ab2e4c88', '0091a706bc604188'];

// Every rejection message must name all accepted formats, so a user knows what to upload instead.
const formatNames = [/QMSum/, /Harper Valley/, /AssemblyAI/, /Recall\.ai/, /WebVTT/, /plain text/];

function expectUnsupported(parse: () => unknown, reason: RegExp): void {
  let caught: unknown;
  try {
    parse();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UnsupportedTranscriptError);
  const message = (caught as Error).message;
  expect(message).toMatch(reason);
  expect(message).not.toContain('\n');
  for (const name of formatNames) {
    expect(message).toMatch(name);
  }
}

describe('QMSum meeting fixtures', () => {
  it('ES2005a has four speakers and no timings', async () => {
    const parsed = await readTranscriptFile(join(fixtures, 'qmsum/ES2005a.json'));

    expect(parsed.format).toBe('qmsum');
    expect(countSpeakers(parsed.utterances)).toBe(4);
    expect(new Set(parsed.utterances.map((utterance) => utterance.speaker))).toEqual(
      new Set(['Project Manager', 'Industrial Designer', 'User Interface', 'Marketing']),
    );
    expect(parsed.utterances.every((utterance) => utterance.startMs === undefined)).toBe(true);
  });

  it.each(['ES2005a', 'IS1004a', 'TS3010a'])('%s keeps no noise marks or empty utterances', async (meeting) => {
    const parsed = await readTranscriptFile(join(fixtures, `qmsum/${meeting}.json`));

    expect(parsed.utterances.length).toBeGreaterThan(50);
    for (const utterance of parsed.utterances) {
      expect(utterance.text).not.toMatch(/\{[a-z_]+\}/i);
      expect(utterance.text).not.toMatch(/\s{2}/);
      expect(utterance.text.trim()).toBe(utterance.text);
      expect(utterance.text).not.toBe('');
    }
  });

  it('strips marks and drops utterances left empty', () => {
    const content = JSON.stringify({
      meeting_transcripts: [
        { speaker: 'Project Manager', content: 'Okay {vocalsound} so {disfmarker} the budget ?' },
        { speaker: 'Marketing', content: '{vocalsound} {gap}' },
        { speaker: 'Marketing', content: 'Twenty five Euros .' },
      ],
    });

    expect(parseTranscript(content).utterances).toEqual([
      { speaker: 'Project Manager', text: 'Okay so the budget ?' },
      { speaker: 'Marketing', text: 'Twenty five Euros .' },
    ]);
  });
});

describe('Harper Valley call fixtures', () => {
  it.each(harperValleyCalls)('call %s has agent and caller', async (call) => {
    const parsed = await readTranscriptFile(join(fixtures, `harper-valley/${call}.json`));

    expect(parsed.format).toBe('harper-valley');
    expect(countSpeakers(parsed.utterances)).toBe(2);
    expect(new Set(parsed.utterances.map((utterance) => utterance.speaker))).toEqual(new Set(['agent', 'caller']));
  });

  it.each(harperValleyCalls)('call %s is in start order with timings', async (call) => {
    const parsed = await readTranscriptFile(join(fixtures, `harper-valley/${call}.json`));
    const starts = parsed.utterances.map((utterance) => utterance.startMs ?? -1);

    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const utterance of parsed.utterances) {
      expect(utterance.endMs).toBeGreaterThanOrEqual(utterance.startMs ?? Infinity);
      expect(utterance.text).not.toMatch(/\[noise\]|<unk>/);
    }
  });

  it('prefers human transcript and orders by start', () => {
    const content = JSON.stringify([
      {
        speaker_role: 'caller',
        start_ms: 4000,
        duration_ms: 1500,
        transcript: 'i lost my cart',
        human_transcript: 'i lost my card',
      },
      {
        speaker_role: 'agent',
        start_ms: 1000,
        duration_ms: 2000,
        transcript: 'hello how can i help',
        human_transcript: '',
      },
      { speaker_role: 'caller', start_ms: 6000, duration_ms: 500, transcript: 'um', human_transcript: '[noise]' },
    ]);

    expect(parseTranscript(content)).toEqual({
      format: 'harper-valley',
      utterances: [
        { speaker: 'agent', text: 'hello how can i help', startMs: 1000, endMs: 3000 },
        { speaker: 'caller', text: 'i lost my card', startMs: 4000, endMs: 5500 },
      ],
    });
  });
});

describe('AssemblyAI transcript JSON', () => {
  it('labels speakers and keeps millisecond timings', () => {
    const content = JSON.stringify({
      id: 'transcript-1',
      status: 'completed',
      text: 'Hi there. Can you hear me?',
      utterances: [
        { speaker: 'A', text: 'Hi there.', start: 250, end: 1200, confidence: 0.9, words: [] },
        { speaker: 'B', text: 'Can you hear me?', start: 1400, end: 2600, confidence: 0.8, words: [] },
      ],
    });

    expect(parseTranscript(content, 'assemblyai.json')).toEqual({
      format: 'assemblyai',
      utterances: [
        { speaker: 'Speaker A', text: 'Hi there.', startMs: 250, endMs: 1200 },
        { speaker: 'Speaker B', text: 'Can you hear me?', startMs: 1400, endMs: 2600 },
      ],
    });
  });

  it('rejects a transcript without speaker labels', () => {
    const content = JSON.stringify({ id: 'transcript-2', status: 'completed', text: 'Hello.', utterances: null });

    expectUnsupported(() => parseTranscript(content), /speaker_labels/);
  });
});

describe('Recall.ai transcript JSON', () => {
  it('reads participants and relative seconds', () => {
    const content = JSON.stringify([
      {
        participant: { id: 100, name: 'Dana Rep', is_host: true, platform: 'zoom', extra_data: {} },
        words: [
          { text: 'Thanks', start_timestamp: { relative: 1.5, absolute: null }, end_timestamp: { relative: 1.9 } },
          { text: 'for joining.', start_timestamp: { relative: 2 }, end_timestamp: { relative: 2.75 } },
        ],
      },
      {
        participant: { id: 200, name: null },
        words: [{ text: 'Sure.', start_timestamp: { relative: 3 }, end_timestamp: { relative: 3.4 } }],
      },
    ]);

    expect(parseTranscript(content)).toEqual({
      format: 'recall',
      utterances: [
        { speaker: 'Dana Rep', text: 'Thanks for joining.', startMs: 1500, endMs: 2750 },
        { speaker: 'Participant 200', text: 'Sure.', startMs: 3000, endMs: 3400 },
      ],
    });
  });

  it('reads the older speaker and start_time shape', () => {
    const content = JSON.stringify([
      {
        speaker: 'Dana Rep',
        words: [
          { text: 'Shall', start_time: 0.5, end_time: 0.8 },
          { text: 'we start?', start_time: 0.9, end_time: 1.6 },
        ],
      },
      { speaker: null, words: [{ text: 'Yes.', start_time: 2, end_time: 2.3 }] },
    ]);

    expect(parseTranscript(content).utterances).toEqual([
      { speaker: 'Dana Rep', text: 'Shall we start?', startMs: 500, endMs: 1600 },
      { speaker: 'Unknown speaker', text: 'Yes.', startMs: 2000, endMs: 2300 },
    ]);
  });
});

describe('WebVTT transcripts', () => {
  const vtt = [
    'WEBVTT - sales call',
    '',
    'NOTE exported by the meeting platform',
    '',
    '1',
    '00:00:01.000 --> 00:00:04.500 align:start',
    '<v Dana Rep>Thanks for joining &amp; welcome.</v>',
    '',
    '00:04.600 --> 00:06.000',
    'Shall we start?',
    '',
    '00:00:06.200 --> 00:00:08.000',
    '<v.buyer Sam Buyer><i>Yes</i>, please.',
    '',
  ].join('\r\n');

  it('turns voice tags and cue timings into utterances', () => {
    expect(parseTranscript(vtt, 'call.vtt')).toEqual({
      format: 'webvtt',
      utterances: [
        { speaker: 'Dana Rep', text: 'Thanks for joining & welcome.', startMs: 1000, endMs: 4500 },
        { speaker: 'Dana Rep', text: 'Shall we start?', startMs: 4600, endMs: 6000 },
        { speaker: 'Sam Buyer', text: 'Yes, please.', startMs: 6200, endMs: 8000 },
      ],
    });
  });

  it('rejects a first cue without a voice', () => {
    const content = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello there\n';

    expectUnsupported(() => parseTranscript(content), /line 3 has no <v Speaker> voice tag/);
  });

  it('rejects a .vtt file without header', () => {
    expectUnsupported(() => parseTranscript('00:00:01.000 --> 00:00:02.000\n<v A>Hi\n', 'call.vtt'), /WEBVTT header/);
  });
});

describe('plain text transcripts', () => {
  it('reads speaker lines and continuation lines', () => {
    const content =
      'Dana Rep: Thanks for joining.\n\nSam Buyer: Happy to.\nWe have ten minutes.\n\u8D75\u4F1F: \u4F60\u597D\n';

    expect(parseTranscript(content, 'call.txt')).toEqual({
      format: 'plain-text',
      utterances: [
        { speaker: 'Dana Rep', text: 'Thanks for joining.' },
        { speaker: 'Sam Buyer', text: 'Happy to. We have ten minutes.' },
        { speaker: '\u8D75\u4F1F', text: '\u4F60\u597D' },
      ],
    });
  });

  it('does not read a URL as a speaker', () => {
    const parsed = parseTranscript('Dana Rep: the deck is at\nhttps://example.com/deck\n');

    expect(parsed.utterances).toEqual([{ speaker: 'Dana Rep', text: 'the deck is at https://example.com/deck' }]);
  });
});

describe('unsupported content', () => {
  it('rejects JSON of another shape', () => {
    expectUnsupported(() => parseTranscript(JSON.stringify({ users: [{ id: 1, name: 'x' }] })), /JSON does not match/);
    expectUnsupported(() => parseTranscript('[1, 2, 3]'), /JSON does not match/);
    expectUnsupported(() => parseTranscript('[]'), /JSON does not match/);
  });

  it('rejects the Harper Valley metadata file', async () => {
    await expect(readTranscriptFile(join(fixtures, 'harper-valley/0002f70f7386445b.metadata.json'))).rejects.toThrow(
      UnsupportedTranscriptError,
    );
  });

  it('rejects a known shape with bad fields', () => {
    const content = JSON.stringify({ meeting_transcripts: [{ speaker: 'Marketing', content: 42 }] });

    expectUnsupported(
      () => parseTranscript(content),
      /QMSum meeting JSON is invalid at meeting_transcripts\.0\.content/,
    );
  });

  it('rejects a known shape with zero utterances', () => {
    expectUnsupported(() => parseTranscript(JSON.stringify({ meeting_transcripts: [] })), /contains no utterances/);
    expectUnsupported(() => parseTranscript('WEBVTT\n\nNOTE nothing was said\n'), /WebVTT file contains no utterances/);
  });

  it('rejects empty and blank content', () => {
    expectUnsupported(() => parseTranscript(''), /empty/);
    expectUnsupported(() => parseTranscript(' \n\t\n'), /empty/);
  });

  it('rejects binary garbage', () => {
    const garbage = String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d);

    expectUnsupported(() => parseTranscript(garbage), /binary/);
  });

  it('rejects text without speaker prefixes', () => {
    expectUnsupported(() => parseTranscript('just some notes\nwithout any speakers'), /"Speaker:"/);
  });

  it('rejects invalid JSON', () => {
    expectUnsupported(() => parseTranscript('{"meeting_transcripts": [', 'meeting.json'), /not valid JSON/);
    expectUnsupported(() => parseTranscript('Dana Rep: Hello.', 'meeting.json'), /not valid JSON/);
    expectUnsupported(() => parseTranscript('{speaker: "Dana Rep"}'), /not valid JSON/);
  });
});

describe('transcript files on disk', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'transcript-formats-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('rejects a missing file naming its path', async () => {
    const path = join(directory, 'missing.vtt');

    await expect(readTranscriptFile(path)).rejects.toThrow(`Failed to read transcript file ${path}`);
  });

  it('rejects bytes that are not UTF-8', async () => {
    const path = join(directory, 'recording.bin');
    await writeFile(path, Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81, 0x00, 0x10]));

    await expect(readTranscriptFile(path)).rejects.toThrow(/recording\.bin is not valid UTF-8/);
  });

  it('reads a plain text file with a byte order mark', async () => {
    const path = join(directory, 'call.txt');
    await writeFile(path, '\uFEFFDana Rep: Hello.\nSam Buyer: Hi.\n', 'utf8');

    const parsed = await readTranscriptFile(path);

    expect(parsed.utterances.map((utterance) => utterance.speaker)).toEqual(['Dana Rep', 'Sam Buyer']);
  });
});

describe('speaker and turn counts', () => {
  const utterances: Utterance[] = [
    { speaker: 'rep', text: 'a' },
    { speaker: 'rep', text: 'b' },
    { speaker: 'buyer', text: 'c' },
    { speaker: 'rep', text: 'd' },
    { speaker: 'champion', text: 'e' },
    { speaker: 'champion', text: 'f' },
  ];

  it('counts distinct speakers', () => {
    expect(countSpeakers(utterances)).toBe(3);
    expect(countSpeakers([])).toBe(0);
  });

  it('merges consecutive utterances into turns', () => {
    expect(countTurns(utterances)).toBe(4);
    expect(countTurns([])).toBe(0);
  });
});

describe('code-point truncation', () => {
  const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const astral = 'Deal \u{1F91D} signed \u{20000}\u{1F600}';

  it('leaves short text whole', () => {
    expect(truncateToCodePoints(astral, 100)).toEqual({ text: astral, truncated: false });
    expect(truncateToCodePoints(astral, [...astral].length)).toEqual({ text: astral, truncated: false });
  });

  it('never splits a surrogate pair', () => {
    const codePoints = [...astral];
    for (let max = 0; max <= codePoints.length; max += 1) {
      const { text, truncated } = truncateToCodePoints(astral, max);

      expect(text).toBe(codePoints.slice(0, max).join(''));
      expect(truncated).toBe(max < codePoints.length);
      expect(text).not.toMatch(loneSurrogate);
    }
  });

  it('counts an emoji as one code point', () => {
    expect(truncateToCodePoints('\u{1F91D}\u{1F91D}\u{1F91D}', 2)).toEqual({
      text: '\u{1F91D}\u{1F91D}',
      truncated: true,
    });
    expect(truncateToCodePoints('\u{20000}abc', 1)).toEqual({ text: '\u{20000}', truncated: true });
  });

  it('rejects a negative or fractional budget', () => {
    expect(() => truncateToCodePoints('abc', -1)).toThrow(RangeError);
    expect(() => truncateToCodePoints('abc', 1.5)).toThrow(RangeError);
  });
});
