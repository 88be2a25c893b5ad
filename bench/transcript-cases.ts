import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { countTurns, readTranscriptFile } from '../lib/transcript/parse';
import type { ParsedTranscript, Utterance } from '../lib/transcript/types';

// The transcripts a benchmark plays: every fixture call, and one long call joined from all of them.

export interface TranscriptCase {
  name: string;
  transcript: ParsedTranscript;
}

/** Fixture transcripts shared by the workspace; override with BENCH_FIXTURES_DIR. */
export const defaultFixturesDir = path.resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'transcripts');

const fixtureFolders = ['qmsum', 'harper-valley'];

/** Loads every `<folder>/<id>.json` fixture, skipping the `*.metadata.json` files beside them. */
export async function loadFixtureCases(fixturesDir: string): Promise<TranscriptCase[]> {
  const cases: TranscriptCase[] = [];
  for (const folder of fixtureFolders) {
    const names = (await readdir(path.join(fixturesDir, folder)))
      .filter((name) => name.endsWith('.json') && !name.endsWith('.metadata.json'))
      .sort();
    for (const name of names) {
      const transcript = await readTranscriptFile(path.join(fixturesDir, folder, name));
      cases.push({ name: `${folder}/${path.basename(name, '.json')}`, transcript });
    }
  }
  if (cases.length === 0) {
    throw new Error(
      `No transcript fixtures found under ${fixturesDir} (expected qmsum/*.json and harper-valley/*.json)`,
    );
  }

  return cases;
}

/**
 * Builds a call of exactly `turns` turns from the fixtures' utterances, taken in order and reused from
 * the start when they run out. Speakers alternate between a rep and a prospect on every utterance, so
 * each utterance is its own turn. Timings are dropped because the sources' clocks do not line up, so
 * the metrics use their word-count basis.
 */
export function buildLongCall(sources: readonly TranscriptCase[], turns: number): TranscriptCase {
  const texts = sources.flatMap((source) => source.transcript.utterances.map((utterance) => utterance.text));
  if (texts.length === 0) {
    throw new Error('Cannot build a long call: the fixtures contain no utterances');
  }
  const speakers = ['Rep', 'Prospect'];
  const utterances: Utterance[] = Array.from({ length: turns }, (_, index) => ({
    speaker: speakers[index % speakers.length]!,
    text: texts[index % texts.length]!,
  }));
  const built = countTurns(utterances);
  if (built !== turns) {
    throw new Error(`The long call has ${built} turns instead of ${turns}`);
  }

  return { name: `joined-${turns}-turns`, transcript: { format: 'plain-text', utterances } };
}
