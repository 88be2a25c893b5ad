import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRetentionSchedule } from '../lib/retention-schedule';
import { retentionScheduleId } from '../workflows/retention-sweep';
import { createDevServerEnv, createTimeSkippingEnv } from './support/temporal';
import { waitFor } from './support/wait';

// The retention Schedule on a Temporal dev server. The Java time-skipping test server has no Schedule API
// (checked below), so the calendar is proven with the server's own computation: its next action times, and a
// backfill over date ranges that span the US and EU daylight-saving changes of 2026, counted per UTC day.

let env: TestWorkflowEnvironment;
let client: Client;
const taskQueue = 'retention-schedule-test';

beforeAll(async () => {
  env = await createDevServerEnv();
  client = env.client;
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** Scheduled start times of every run the Schedule started, read from their search attributes. */
async function scheduledRuns(): Promise<Date[]> {
  const runs: Date[] = [];
  for await (const execution of client.workflow.list({ query: `TemporalScheduledById = '${retentionScheduleId}'` })) {
    const [scheduledFor] = (execution.searchAttributes.TemporalScheduledStartTime ?? []) as Date[];
    if (scheduledFor !== undefined) {
      runs.push(new Date(scheduledFor));
    }
  }

  return runs;
}

describe('retention schedule', () => {
  it('time-skipping server rejects Schedules', async () => {
    const skipping = await createTimeSkippingEnv();
    try {
      await expect(ensureRetentionSchedule(skipping.client, taskQueue)).rejects.toThrow();
    } finally {
      await skipping.teardown();
    }
  }, 120_000);

  it('worker starts keep exactly one Schedule', async () => {
    expect(await ensureRetentionSchedule(client, taskQueue)).toBe('created');
    await client.schedule.getHandle(retentionScheduleId).pause('operator pause');

    expect(await ensureRetentionSchedule(client, taskQueue)).toBe('updated');

    const ids: string[] = [];
    for await (const schedule of client.schedule.list()) {
      ids.push(schedule.scheduleId);
    }
    expect(ids).toEqual([retentionScheduleId]);
    const description = await client.schedule.getHandle(retentionScheduleId).describe();
    expect(description.state.paused).toBe(true);
    expect(description.spec.timezone).toBe('UTC');
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.policies.catchupWindow).toBe(23 * 3_600_000);
    await client.schedule.getHandle(retentionScheduleId).unpause('test resumes');
  });

  it('next runs fall at 03:00 UTC daily', async () => {
    await ensureRetentionSchedule(client, taskQueue);
    const { info } = await client.schedule.getHandle(retentionScheduleId).describe();

    expect(info.nextActionTimes.length).toBeGreaterThanOrEqual(5);
    for (const [index, at] of info.nextActionTimes.entries()) {
      expect(at.toISOString().slice(11)).toBe('03:00:00.000Z');
      if (index > 0) {
        expect(at.getTime() - info.nextActionTimes[index - 1]!.getTime()).toBe(86_400_000);
      }
    }
  });

  it('backfill across DST changes runs once per UTC day', async () => {
    await ensureRetentionSchedule(client, taskQueue);
    // US clocks change on 8 March and 1 November 2026, EU clocks on 29 March and 25 October 2026.
    const ranges = [
      { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-04-05T00:00:00Z'), days: 35 },
      { start: new Date('2026-10-20T00:00:00Z'), end: new Date('2026-11-08T00:00:00Z'), days: 19 },
    ];
    await client.schedule
      .getHandle(retentionScheduleId)
      .backfill(ranges.map(({ start, end }) => ({ start, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL })));

    const expected = ranges.reduce((sum, range) => sum + range.days, 0);
    const runs = await waitFor(scheduledRuns, (found) => found.length >= expected, 'the backfilled runs', 60_000);

    const perDay = new Map<string, number>();
    for (const run of runs) {
      perDay.set(run.toISOString().slice(0, 10), (perDay.get(run.toISOString().slice(0, 10)) ?? 0) + 1);
    }
    expect(runs).toHaveLength(expected);
    expect(new Set(runs.map((run) => run.toISOString().slice(11)))).toEqual(new Set(['03:00:00.000Z']));
    expect([...perDay.values()].every((count) => count === 1)).toBe(true);
    for (const day of ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01']) {
      expect(perDay.get(day)).toBe(1);
    }
  }, 120_000);
});
