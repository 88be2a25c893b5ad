// Rules for moving a meeting forward on Recall.ai bot status codes, pure so the workflow and the API share
// them. Webhooks arrive late, twice or out of order, so ranking the states lets the workflow ignore any
// event that would move a meeting backwards.

export type MeetingStatus =
  | 'scheduled'
  | 'bot_joining'
  | 'in_waiting_room'
  | 'in_call'
  | 'recording'
  | 'call_ended'
  | 'transcript_stored'
  | 'analysing'
  | 'analysed'
  | 'failed'
  | 'cancelled';

const forwardOrder: readonly MeetingStatus[] = [
  'scheduled',
  'bot_joining',
  'in_waiting_room',
  'in_call',
  'recording',
  'call_ended',
  'transcript_stored',
  'analysing',
  'analysed',
];

export const terminalStatuses: ReadonlySet<MeetingStatus> = new Set(['analysed', 'failed', 'cancelled']);

/** Recall.ai bot status codes (the `code` of a `bot.*` status webhook) and the meeting status each one means. */
const statusByBotCode: Record<string, MeetingStatus> = {
  joining_call: 'bot_joining',
  in_waiting_room: 'in_waiting_room',
  in_call_not_recording: 'in_call',
  recording_permission_allowed: 'in_call',
  recording_permission_denied: 'in_call',
  in_call_recording: 'recording',
  call_ended: 'call_ended',
  done: 'call_ended',
};

export function statusForBotCode(code: string): MeetingStatus | undefined {
  return statusByBotCode[code];
}

export function statusRank(status: MeetingStatus): number {
  const rank = forwardOrder.indexOf(status);

  return rank === -1 ? Number.POSITIVE_INFINITY : rank;
}

/** Returns the later of two statuses; a terminal status is never left. */
export function advanceStatus(current: MeetingStatus, proposed: MeetingStatus): MeetingStatus {
  if (terminalStatuses.has(current)) {
    return current;
  }

  return statusRank(proposed) > statusRank(current) ? proposed : current;
}

/** True once the bot has been admitted to the call (a waiting room does not count). */
export function hasJoinedCall(status: MeetingStatus): boolean {
  return statusRank(status) >= statusRank('in_call') && !terminalStatuses.has(status);
}

export function botNameForMode(mode: 'record_only' | 'assisted' | 'sage_led'): string {
  return mode === 'record_only' ? 'Sales Blitz Notetaker' : 'Sage — Sales Blitz';
}
