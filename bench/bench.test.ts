import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { countSpeakers, countTurns } from '../lib/transcript/parse';
import { formatTable, summarise } from './statistics';
import { buildLongCall, defaultFixturesDir, loadFixtureCases } from './transcript-cases';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

describe('summarise', () => {
  test('odd count takes middle sample', () => {
    expect(summarise([30, 10, 20])).toEqual({ median: 20, max: 30, samples: 3 });
  });

  test('even count averages middle pair', () => {
    expect(summarise([4, 1, 3, 2]).median).toBe(2.5);
  });

  test('empty list is rejected', () => {
    expect(() => summarise([])).toThrow(/empty/);
  });
});

describe('formatTable', () => {
  test('pads cells to column width', () => {
    const table = formatTable(['case', 'ms'], [['long-name', '5']]);

    expect(table.split('\n')).toEqual(['| case      | ms |', '| --------- | -- |', '| long-name | 5  |']);
  });
});

describe('transcript cases', () => {
  test('fixtures exclude metadata files', async () => {
    const cases = await loadFixtureCases(defaultFixturesDir);

    expect(cases.length).toBeGreaterThan(0);
    expect(cases.some((entry) => entry.name.includes('metadata'))).toBe(false);
  });

  test('long call has requested turns', async () => {
    const cases = await loadFixtureCases(defaultFixturesDir);
    const longCall = buildLongCall(cases, 900);

    expect(countTurns(longCall.transcript.utterances)).toBe(900);
    expect(countSpeakers(longCall.transcript.utterances)).toBe(2);
    expect(longCall.transcript.utterances.every((utterance) => utterance.startMs === undefined)).toBe(true);
  });
});

describe('bench runner', () => {
  test('unknown benchmark exits with code 2', async () => {
    const failure = await promisify(execFile)('npx', ['tsx', 'bench/run.ts', 'no-such-benchmark'], {
      cwd: repositoryRoot,
    }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; stderr?: string },
    );

    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('Unknown benchmark "no-such-benchmark"');
    expect(failure?.stderr).toContain('Usage: npm run bench -- post-call');
  });
});
