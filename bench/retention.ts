import os from 'node:os';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { AssemblyAI } from 'assemblyai';
import { RecallClient } from '../activities/recall';
import { createRetentionActivities, runBatches } from '../activities/retention';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { createTestDatabase } from '../tests/support/database';
import { seedBulkTranscripts } from '../tests/support/retention-seed';

// Retention benchmark: the sweep's transcript deletion (the activity the workflow runs, with its
// sub-processor receipts and heartbeats) against a plain batched `DELETE … WHERE id IN (SELECT … LIMIT n)`
// of an identical seeded set, on the same fresh PostgreSQL database in the same run. Each batch is one
// statement in its own transaction, so the slowest batch is the longest time any row lock is held.

export const retentionUsage = `Usage: npm run bench -- retention [--rows N] [--batch N]
  --rows N    expired transcripts seeded for each of the two runs (default 1000000)
  --batch N   rows per statement (default 5000)`;

interface RunFigures {
  seconds: number;
  deleted: number;
  batches: number;
  maxBatchMs: number;
}

const rawBatchSql = `DELETE FROM transcripts WHERE id IN (
  SELECT id FROM transcripts WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`;

export async function runRetentionBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { rows: { type: 'string' }, batch: { type: 'string' } } });
  const rows = Number(values.rows ?? 1_000_000);
  const batchSize = Number(values.batch ?? 5_000);
  const database = await createTestDatabase();
  const prisma = database.prisma;
  // No transcript in the benchmark has a bot or an audio job, so no provider is called.
  const activities = createRetentionActivities({
    prisma,
    recall: new RecallClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' }),
    assembly: new AssemblyAI({ apiKey: 'unused', baseUrl: 'http://127.0.0.1:9' }),
  });

  try {
    const sweepSeedSeconds = await seed(prisma, 'org_bench_sweep', rows);
    const { runId } = await activities.startRetentionRun({ workflowId: 'retention-bench', scheduledForMs: Date.now() });
    const sweep = await timed(() =>
      new MockActivityEnvironment().run(() =>
        activities.sweepExpiredTranscripts({ runId, asOfMs: Date.now(), batchSize }),
      ),
    );

    const rawSeedSeconds = await seed(prisma, 'org_bench_raw', rows);
    const asOf = new Date();
    const raw = await timed(() =>
      new MockActivityEnvironment().run(() =>
        runBatches((limit) => prisma.$executeRawUnsafe(rawBatchSql, asOf, limit), batchSize),
      ),
    );

    const result = {
      benchmark: 'retention',
      rows,
      batchSize,
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
      seedSeconds: { sweep: sweepSeedSeconds, raw: rawSeedSeconds },
      sweep,
      raw,
      ratioRawOverSweep: round(raw.seconds / sweep.seconds, 3),
      longestLockMs: round(Math.max(sweep.maxBatchMs, raw.maxBatchMs), 1),
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `sweep ${sweep.seconds} s, raw DELETE ${raw.seconds} s, ratio raw/sweep ${result.ratioRawOverSweep} (target >= 0.5); ` +
        `longest batch (lock held) sweep ${sweep.maxBatchMs} ms, raw ${raw.maxBatchMs} ms`,
    );
    if (sweep.deleted !== rows || raw.deleted !== rows) {
      throw new Error(`Expected ${rows} deletions in each run; sweep ${sweep.deleted}, raw ${raw.deleted}`);
    }
  } finally {
    await database.drop();
  }
}

async function seed(prisma: PrismaClient, organizationId: string, rows: number): Promise<number> {
  const startedAt = performance.now();
  await seedBulkTranscripts(prisma, { organizationId, count: rows });
  // Fresh statistics, so both runs start from the same planner view of the table.
  await prisma.$executeRawUnsafe('VACUUM ANALYZE transcripts');

  return round((performance.now() - startedAt) / 1000, 2);
}

async function timed(
  run: () => Promise<{ changed: number; batches: number; maxBatchMs: number }>,
): Promise<RunFigures> {
  const startedAt = performance.now();
  const progress = await run();

  return {
    seconds: round((performance.now() - startedAt) / 1000, 2),
    deleted: progress.changed,
    batches: progress.batches,
    maxBatchMs: round(progress.maxBatchMs, 1),
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
