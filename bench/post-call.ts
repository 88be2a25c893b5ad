import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureEngineFloor } from './engine-floor';
import { analysisSteps, type PostCallTimings, runTimedCall } from './post-call-run';
import { type BenchDatabase, startBenchStack } from './stack';
import { formatTable, type Summary, summarise } from './statistics';
import { buildLongCall, defaultFixturesDir, loadFixtureCases, type TranscriptCase } from './transcript-cases';

// Post-call benchmark: "call ended" to "intelligence stored" for every fixture call and for a long
// joined call, with the sandbox's artificial delays set to zero, so the figures are the product's own
// cost (Temporal, database, HTTP between the parts, analysis code). Each figure is also given as a
// multiple of the engine floor measured in the same run.

export const postCallUsage = `Usage: npm run bench -- post-call [--repeats N] [--database postgres|pglite] [--floor-rounds N]
  --repeats N        timed calls per transcript (default 5)
  --database KIND    postgres: a fresh database on the test server (TEST_DATABASE_ADMIN_URL); pglite: a fresh embedded directory (default postgres)
  --floor-rounds N   timed engine-floor round trips (default 20)`;

/** Turn count of the long call, and the targets it is held to. */
const longCallTurns = 900;
const longCallTargets = { endToEndMs: 1500, metricsMs: 20 };

export const resultFile = path.resolve(import.meta.dirname, '..', '.data', 'bench', 'post-call.json');

interface CaseResult {
  name: string;
  turns: number;
  runs: PostCallTimings[];
  summary: Record<string, Summary>;
}

export async function runPostCallBenchmark(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const fixtures = await loadFixtureCases(process.env.BENCH_FIXTURES_DIR ?? defaultFixturesDir);
  const cases = [...fixtures, buildLongCall(fixtures, longCallTurns)];

  const loadAverageAtStart = os.loadavg();
  console.log(`Starting the stack (database: ${options.database}, sandbox delays 0 ms) ...`);
  const bench = await startBenchStack(options.database);
  try {
    const { stack } = bench;
    console.log('Measuring the engine floor (one workflow with one no-op activity) ...');
    const floorSamples = await measureEngineFloor({
      temporal: stack.temporal,
      address: stack.config.TEMPORAL_ADDRESS,
      namespace: stack.config.TEMPORAL_NAMESPACE,
      rounds: options.floorRounds,
    });
    const floor = summarise(floorSamples);

    // One untimed call first, so worker start-up (workflow isolates, connection pools) is not counted.
    await runTimedCall(stack, cases[0]!.transcript);

    const results = await runCases(cases, options.repeats, (transcript) => runTimedCall(stack, transcript));
    const report = buildReport(options, floor, floorSamples, results, {
      atStart: loadAverageAtStart,
      atEnd: os.loadavg(),
    });
    console.log(`\n${formatResults(floor, results)}\n`);
    console.log(formatLongCallVerdict(floor, results));

    await mkdir(path.dirname(resultFile), { recursive: true });
    await writeFile(resultFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWrote ${path.relative(process.cwd(), resultFile)}`);
  } finally {
    await bench.stop();
  }
}

function parseOptions(argv: string[]): { repeats: number; database: BenchDatabase; floorRounds: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      repeats: { type: 'string', default: '5' },
      database: { type: 'string', default: 'postgres' },
      'floor-rounds': { type: 'string', default: '20' },
    },
    strict: true,
  });
  const repeats = positiveInteger(values.repeats, '--repeats');
  const floorRounds = positiveInteger(values['floor-rounds'], '--floor-rounds');
  if (values.database !== 'postgres' && values.database !== 'pglite') {
    throw new Error(`Invalid --database ${values.database}: expected postgres or pglite\n${postCallUsage}`);
  }

  return { repeats, database: values.database, floorRounds };
}

function positiveInteger(value: string, option: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`Invalid ${option} ${value}: expected a whole number of at least 1\n${postCallUsage}`);
  }

  return parsed;
}

// Calls go round the cases once per repeat, so a slow patch of the machine spreads over every case
// instead of landing on one.
async function runCases(
  cases: readonly TranscriptCase[],
  repeats: number,
  run: (transcript: TranscriptCase['transcript']) => Promise<PostCallTimings>,
): Promise<CaseResult[]> {
  const runs = new Map<string, PostCallTimings[]>(cases.map((entry) => [entry.name, []]));
  for (let repeat = 1; repeat <= repeats; repeat += 1) {
    for (const entry of cases) {
      const timings = await run(entry.transcript);
      runs.get(entry.name)!.push(timings);
      console.log(`  ${repeat}/${repeats} ${entry.name}: ${timings.endToEndMs} ms (${timings.turns} turns)`);
    }
  }

  return cases.map((entry) => {
    const caseRuns = runs.get(entry.name)!;

    return { name: entry.name, turns: caseRuns[0]!.turns, runs: caseRuns, summary: summariseRuns(caseRuns) };
  });
}

function summariseRuns(runs: readonly PostCallTimings[]): Record<string, Summary> {
  const pick = (select: (run: PostCallTimings) => number) => summarise(runs.map(select));
  const summary: Record<string, Summary> = {
    transcriptStoredMs: pick((run) => run.transcriptStoredMs),
    analysisStartedMs: pick((run) => run.analysisStartedMs),
    endToEndMs: pick((run) => run.endToEndMs),
  };
  for (const step of analysisSteps) {
    summary[`${step}Ms`] = pick((run) => run.stepsMs[step]);
    summary[`${step}FinishedMs`] = pick((run) => run.stepsFinishedMs[step]);
  }
  const fromRow = runs.flatMap((run) => (run.fromCallEndedRowMs === null ? [] : [run.fromCallEndedRowMs]));
  if (fromRow.length > 0) {
    summary.fromCallEndedRowMs = summarise(fromRow);
  }

  return summary;
}

const durationColumns: Array<[title: string, key: string]> = [
  ['metrics', 'metricsMs'],
  ['claude', 'claudeMs'],
  ['audio intelligence', 'audio_intelligenceMs'],
  ['embeddings', 'embeddingsMs'],
  ['prospect', 'prospect_intelligenceMs'],
  ['call ended → analysed', 'endToEndMs'],
];

const timelineColumns: Array<[title: string, key: string]> = [
  ['transcript stored', 'transcriptStoredMs'],
  ['analysis started', 'analysisStartedMs'],
  ['metrics', 'metricsFinishedMs'],
  ['claude', 'claudeFinishedMs'],
  ['audio intelligence', 'audio_intelligenceFinishedMs'],
  ['embeddings', 'embeddingsFinishedMs'],
  ['prospect', 'prospect_intelligenceFinishedMs'],
  ['analysed', 'endToEndMs'],
];

function formatResults(floor: Summary, results: readonly CaseResult[]): string {
  const cell = (summary: Summary | undefined) => (summary ? `${round(summary.median)} / ${round(summary.max)}` : '-');
  const durations = formatTable(
    ['case', 'turns', ...durationColumns.map(([title]) => title), '× floor', 'call_ended rows'],
    results.map((result) => [
      result.name,
      String(result.turns),
      ...durationColumns.map(([, key]) => cell(result.summary[key])),
      ratio(result.summary.endToEndMs!.median, floor.median),
      `${result.runs.filter((run) => run.callEndedRowMs !== null).length}/${result.runs.length}`,
    ]),
  );
  const timeline = formatTable(
    ['case', ...timelineColumns.map(([title]) => title)],
    results.map((result) => [result.name, ...timelineColumns.map(([, key]) => round(result.summary[key]!.median))]),
  );

  return [
    `Engine floor (workflow + one no-op activity, client round trip): median ${round(floor.median)} ms, max ${round(floor.max)} ms over ${floor.samples} rounds.`,
    '',
    `Step durations and end to end, ms, median / max of ${results[0]?.runs.length ?? 0} calls per case:`,
    '',
    durations,
    '',
    'Timeline, ms after the API stored the bot.call_ended webhook (median): when each part finished.',
    '',
    timeline,
  ].join('\n');
}

function formatLongCallVerdict(floor: Summary, results: readonly CaseResult[]): string {
  const longCall = results.find((result) => result.name.startsWith('joined-'));
  if (longCall === undefined) {
    return '';
  }
  const endToEnd = longCall.summary.endToEndMs!;
  const metrics = longCall.summary.metricsMs!;
  const verdict = (value: number, target: number) => (value <= target ? 'within' : 'over');

  return [
    `${longCall.name}: end to end median ${round(endToEnd.median)} ms = ${ratio(endToEnd.median, floor.median)} the floor ` +
      `(target ${longCallTargets.endToEndMs} ms = ${ratio(longCallTargets.endToEndMs, floor.median)}): ${verdict(endToEnd.median, longCallTargets.endToEndMs)} target`,
    `${longCall.name}: metrics step median ${round(metrics.median)} ms = ${ratio(metrics.median, floor.median)} the floor ` +
      `(target ${longCallTargets.metricsMs} ms): ${verdict(metrics.median, longCallTargets.metricsMs)} target`,
  ].join('\n');
}

function buildReport(
  options: { repeats: number; database: BenchDatabase; floorRounds: number },
  floor: Summary,
  floorSamples: number[],
  results: readonly CaseResult[],
  loadAverage: { atStart: number[]; atEnd: number[] },
) {
  return {
    benchmark: 'post-call',
    measuredAt: new Date().toISOString(),
    command: `npm run bench -- post-call --repeats ${options.repeats} --database ${options.database} --floor-rounds ${options.floorRounds}`,
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      // 1, 5 and 15 minute load averages: other work on the machine slows every figure.
      loadAverage,
    },
    database: options.database,
    sandbox: { stepDelayMs: 0, audioWebhookDelayMs: 0 },
    targets: { case: `joined-${longCallTurns}-turns`, ...longCallTargets },
    engineFloorMs: { ...floor, rounds: floorSamples },
    cases: results.map((result) => ({
      ...result,
      endToEndPerFloor: result.summary.endToEndMs!.median / floor.median,
    })),
  };
}

function round(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function ratio(value: number, floor: number): string {
  const multiple = value / floor;

  return `${multiple < 1 ? multiple.toFixed(2) : multiple.toFixed(1)}×`;
}
