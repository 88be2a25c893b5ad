import type { TConfig } from '../lib/config';
import { meetingWorkflowId } from '../workflows/meeting-lifecycle';

/** Temporal Web addresses an operator opens for one meeting: both of its workflows, found by search attribute. */
export function meetingLinks(config: TConfig, meetingId: string): { workflowId: string; temporalWebUrl: string } {
  const namespace = encodeURIComponent(config.TEMPORAL_NAMESPACE);
  const query = encodeURIComponent(`MeetingId="${meetingId}"`);

  return {
    workflowId: meetingWorkflowId(meetingId),
    temporalWebUrl: `${config.TEMPORAL_WEB_URL.replace(/\/$/, '')}/namespaces/${namespace}/workflows?query=${query}`,
  };
}
