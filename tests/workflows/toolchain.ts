import { sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { meetingIdKey, meetingStatusKey } from '../../lib/search-attributes';

// Two tiny workflows that prove the local Temporal servers work: a durable timer like the one a meeting
// lifecycle waits on until the join time, and a search attribute operators filter meetings by.

/** Sleeps for `joinDelay` (e.g. '1 day'), then returns 'join-time-reached'. */
export async function waitForJoinTime(joinDelay: string): Promise<string> {
  await sleep(joinDelay);

  return 'join-time-reached';
}

/** Tags this run with its meeting id and a `scheduled` status so visibility queries can find it. */
export function tagMeeting(meetingId: string): Promise<string> {
  upsertSearchAttributes([
    { key: meetingIdKey, value: meetingId },
    { key: meetingStatusKey, value: 'scheduled' },
  ]);

  // A workflow function must return a Promise; this one has nothing to wait for.
  return Promise.resolve(meetingId);
}
