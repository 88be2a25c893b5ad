import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';

import { computeConversationMetrics, countQuestions, countWords } from '../lib/transcript/metrics';
import { readTranscriptFile } from '../lib/transcript/parse';
import type { Utterance } from '../lib/transcript/types';

const fixtures = '/work/shared/fixtures/transcripts';
const fixtureFiles = [
  'qmsum/ES2005a.json',
  'qmsum/IS1004a.json',
  'qmsum/TS3010a.json',
  'harper-valley/0002f70f7386445b.json',
  'harper-valley/004860b1ab2e4c88.json',
  'harper-valley/0091a706bc604188.json',
];

// Five utterances, one minute from first start to last end. Rep: 23 s, 21 words; buyer: 34 s, 12 words.
const timedCall: Utterance[] = [
  { speaker: 'rep', text: 'Hi Sam, thanks for joining. How is the quarter going?', startMs: 0, endMs: 10_000 },
  { speaker: 'rep', text: 'Um, I mean, we saw your numbers.', startMs: 10_000, endMs: 20_000 },
  { speaker: 'buyer', text: 'Pretty good. Why do you ask ?', startMs: 21_000, endMs: 26_000 },
  { speaker: 'rep', text: 'You know, just curious.', startMs: 27_000, endMs: 30_000 },
  { speaker: 'buyer', text: 'Well, basically we are growing fast.', startMs: 31_000, endMs: 60_000 },
];

// No timings: 16 words, so the estimated length is 16 / 150 minutes.
const untimedCall: Utterance[] = [
  { speaker: 'A', text: 'one two three four five' },
  { speaker: 'B', text: 'six seven?' },
  { speaker: 'B', text: 'eight nine ten umm' },
  { speaker: 'A', text: 'eleven' },
  { speaker: 'A', text: 'twelve, sort of. Really?' },
];

describe('metrics on the time basis', () => {
  const metrics = computeConversationMetrics(timedCall);

  it('uses talk time for shares', () => {
    expect(metrics.basis).toBe('time');
    expect(metrics.speakers.map(({ speaker, talkShare, talkTimeMs }) => ({ speaker, talkShare, talkTimeMs }))).toEqual([
      { speaker: 'rep', talkShare: 0.4035, talkTimeMs: 23_000 },
      { speaker: 'buyer', talkShare: 0.5965, talkTimeMs: 34_000 },
    ]);
  });

  it('counts words, turns, questions and fillers per speaker', () => {
    expect(metrics.totalWords).toBe(33);
    expect(
      metrics.speakers.map(({ words, turns, questions, fillerWords }) => ({ words, turns, questions, fillerWords })),
    ).toEqual([
      { words: 21, turns: 2, questions: 1, fillerWords: 3 },
      { words: 12, turns: 2, questions: 1, fillerWords: 1 },
    ]);
  });

  it('takes duration and rates from timings', () => {
    expect(metrics.durationSource).toBe('timings');
    expect(metrics.durationMinutes).toBe(1);
    expect(metrics.questionCount).toBe(2);
    expect(metrics.questionsPerMinute).toBe(2);
    expect(metrics.speakerSwitches).toBe(3);
    expect(metrics.interactiveSwitchesPerMinute).toBe(3);
  });

  it('picks the longest monologue by time', () => {
    expect(metrics.longestMonologue).toEqual({ speaker: 'buyer', durationMs: 29_000, words: 6, startUtterance: 4 });
  });

  it('reports filler words by word', () => {
    expect(metrics.fillerWords.total).toBe(4);
    expect(metrics.fillerWords.perHundredWords).toBe(12.1212);
    expect(metrics.fillerWords.byWord).toMatchObject({ um: 1, 'i mean': 1, 'you know': 1, basically: 1, uh: 0 });
  });
});

describe('metrics on the words basis', () => {
  const metrics = computeConversationMetrics(untimedCall);

  it('uses words for shares and omits talk time', () => {
    expect(metrics.basis).toBe('words');
    expect(metrics.speakers).toEqual([
      { speaker: 'A', talkShare: 0.625, words: 10, turns: 2, questions: 1, fillerWords: 1 },
      { speaker: 'B', talkShare: 0.375, words: 6, turns: 1, questions: 1, fillerWords: 1 },
    ]);
  });

  it('estimates duration at 150 words per minute', () => {
    expect(metrics.durationSource).toBe('estimated_from_words');
    expect(metrics.durationMinutes).toBe(0.1067);
    expect(metrics.questionsPerMinute).toBe(18.75);
    expect(metrics.speakerSwitches).toBe(2);
    expect(metrics.interactiveSwitchesPerMinute).toBe(18.75);
  });

  it('picks the longest monologue by words', () => {
    expect(metrics.longestMonologue).toEqual({ speaker: 'B', words: 6, startUtterance: 1 });
  });

  it('counts drawn-out and phrase fillers', () => {
    expect(metrics.fillerWords.total).toBe(2);
    expect(metrics.fillerWords.perHundredWords).toBe(12.5);
    expect(metrics.fillerWords.byWord).toMatchObject({ um: 1, 'sort of': 1 });
  });

  it('falls back to words when one timing is missing', () => {
    const partlyTimed = timedCall.map((utterance, index) =>
      index === 2 ? { ...utterance, endMs: undefined } : utterance,
    );

    expect(computeConversationMetrics(partlyTimed).basis).toBe('words');
    expect(computeConversationMetrics(partlyTimed).durationSource).toBe('estimated_from_words');
  });
});

describe('metric edge cases', () => {
  it('returns zeros for an empty transcript', () => {
    const metrics = computeConversationMetrics([]);

    expect(metrics.speakers).toEqual([]);
    expect(metrics.longestMonologue).toBeNull();
    expect(metrics.durationMinutes).toBe(0);
    expect(metrics.questionsPerMinute).toBe(0);
    expect(metrics.interactiveSwitchesPerMinute).toBe(0);
    expect(metrics.fillerWords.perHundredWords).toBe(0);
  });

  it('rounds thirds so shares sum to 1', () => {
    const metrics = computeConversationMetrics([
      { speaker: 'A', text: 'one' },
      { speaker: 'B', text: 'two' },
      { speaker: 'C', text: 'three' },
    ]);

    expect(metrics.speakers.map((speaker) => speaker.talkShare)).toEqual([0.3334, 0.3333, 0.3333]);
  });

  it('gives equal shares when nobody spoke a word', () => {
    const metrics = computeConversationMetrics([
      { speaker: 'A', text: '?' },
      { speaker: 'B', text: '...' },
    ]);

    expect(metrics.speakers.map((speaker) => speaker.talkShare)).toEqual([0.5, 0.5]);
  });

  it('is JSON-serialisable and deterministic', () => {
    const metrics = computeConversationMetrics(timedCall);

    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
    expect(computeConversationMetrics(timedCall)).toEqual(metrics);
  });
});

describe('question detection', () => {
  it.each([
    ['What is the budget ?', 1],
    ['Why? Why not?', 2],
    ['Really?!', 1],
    ['Is that so...?', 1],
    ['\u00BFQu\u00E9 precio tiene?', 1],
    ['\u53EF\u4EE5\u5417\uFF1F', 1],
    ['"Can we start?" she asked.', 1],
    ['See example.com/?q=1 for details.', 0],
    ['?', 0],
    ['We can start.', 0],
    ['what do you think', 0],
  ])('%j has %i questions', (text, expected) => {
    expect(countQuestions(text)).toBe(expected);
  });
});

describe('filler word matching', () => {
  const fillersIn = (text: string) => computeConversationMetrics([{ speaker: 'rep', text }]).fillerWords;

  it.each([
    'umbrella and ahead',
    'uh-huh, mm-hmm',
    "I'd like a demo",
    'you, know the plan',
    'I meant the other one',
    'kindof',
  ])('%j has no fillers', (text) => {
    expect(fillersIn(text).total).toBe(0);
  });

  it('matches case and spacing variants', () => {
    const fillers = fillersIn('UM, Hmm. Mmm. Erm, kind   of. Actually, uhh. ahh. hm. You\nknow.');

    expect(fillers.byWord).toEqual({
      um: 1,
      uh: 1,
      er: 1,
      ah: 1,
      hmm: 2,
      mm: 1,
      'you know': 1,
      'i mean': 0,
      'sort of': 0,
      'kind of': 1,
      basically: 0,
      actually: 1,
    });
    expect(fillers.total).toBe(10);
  });
});

describe('word counting', () => {
  it('ignores punctuation-only tokens', () => {
    expect(countWords('Okay , so the budget ? Yes .')).toBe(5);
    expect(countWords('  ')).toBe(0);
  });
});

async function loadFixtureUtterances(): Promise<Utterance[][]> {
  return Promise.all(fixtureFiles.map(async (file) => (await readTranscriptFile(join(fixtures, file))).utterances));
}

describe('metrics on the fixtures', () => {
  it('gives shares summing to 1', async () => {
    for (const utterances of await loadFixtureUtterances()) {
      const metrics = computeConversationMetrics(utterances);
      const shareSum = metrics.speakers.reduce((sum, speaker) => sum + speaker.talkShare, 0);

      expect(shareSum).toBeCloseTo(1, 9);
      expect(metrics.speakers.every((speaker) => speaker.talkShare > 0 && speaker.talkShare < 1)).toBe(true);
    }
  });

  it('uses timings for Harper Valley and words for QMSum', async () => {
    const [meeting, , , call] = await loadFixtureUtterances();

    expect(computeConversationMetrics(meeting ?? []).basis).toBe('words');
    expect(computeConversationMetrics(meeting ?? []).speakers).toHaveLength(4);
    expect(computeConversationMetrics(meeting ?? []).questionCount).toBeGreaterThan(0);
    expect(computeConversationMetrics(call ?? []).basis).toBe('time');
    expect(
      computeConversationMetrics(call ?? [])
        .speakers.map((speaker) => speaker.speaker)
        .sort(),
    ).toEqual(['agent', 'caller']);
  });
});

// A benchmark-like check: the median is asserted against a generous bound so a busy CI machine does
// not fail it, and the single slowest run (often a garbage-collection pause) is only printed.
describe('metrics speed', () => {
  function buildLongTranscript(sources: Utterance[][], timed: boolean): Utterance[] {
    const pool = timed ? sources.filter((utterances) => utterances[0]?.startMs !== undefined) : sources;
    const transcript: Utterance[] = [];
    let offsetMs = 0;
    while (transcript.length < 900) {
      for (const utterances of pool) {
        const lastEnd = Math.max(...utterances.map((utterance) => utterance.endMs ?? 0));
        for (const utterance of utterances) {
          if (transcript.length === 900) break;
          transcript.push(
            timed
              ? { ...utterance, startMs: (utterance.startMs ?? 0) + offsetMs, endMs: (utterance.endMs ?? 0) + offsetMs }
              : utterance,
          );
        }
        offsetMs += lastEnd;
      }
    }

    return transcript;
  }

  function measureMs(utterances: Utterance[], runs: number): { medianMs: number; maxMs: number } {
    // Warm-up runs let the JIT compile the hot paths before timing starts.
    for (let run = 0; run < 3; run += 1) {
      computeConversationMetrics(utterances);
    }
    const durations: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      computeConversationMetrics(utterances);
      durations.push(performance.now() - started);
    }
    durations.sort((a, b) => a - b);

    return { medianMs: durations[Math.floor(runs / 2)] ?? 0, maxMs: durations[runs - 1] ?? 0 };
  }

  it.each([
    ['words', false],
    ['time', true],
  ] as const)('900 utterances on the %s basis run fast', async (basis, timed) => {
    const utterances = buildLongTranscript(await loadFixtureUtterances(), timed);
    const metrics = computeConversationMetrics(utterances);
    const { medianMs, maxMs } = measureMs(utterances, 20);
    console.info(
      `metrics for 900 utterances (${basis} basis): median ${medianMs.toFixed(2)} ms, max ${maxMs.toFixed(2)} ms over 20 runs`,
    );

    expect(utterances).toHaveLength(900);
    expect(metrics.basis).toBe(basis);
    expect(medianMs).toBeLessThan(100);
  });
});
