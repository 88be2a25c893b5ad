import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes operators filter on in Temporal Web, e.g.
// `MeetingId = "…"`, `OrganizationId = "…" AND MeetingStatus = "failed"`.
// The dev server registers them at start; a production cluster needs `temporal operator search-attribute create`.

export const meetingIdKey = defineSearchAttributeKey('MeetingId', SearchAttributeType.KEYWORD);
export const organizationIdKey = defineSearchAttributeKey('OrganizationId', SearchAttributeType.KEYWORD);
export const meetingStatusKey = defineSearchAttributeKey('MeetingStatus', SearchAttributeType.KEYWORD);
export const analysisStatusKey = defineSearchAttributeKey('AnalysisStatus', SearchAttributeType.KEYWORD);

/** Name and type of each attribute, in the `temporal` CLI's spelling (`--search-attribute Name=Type`). */
export const searchAttributeDefinitions: ReadonlyArray<{ name: string; cliType: 'Keyword' }> = [
  { name: meetingIdKey.name, cliType: 'Keyword' },
  { name: organizationIdKey.name, cliType: 'Keyword' },
  { name: meetingStatusKey.name, cliType: 'Keyword' },
  { name: analysisStatusKey.name, cliType: 'Keyword' },
];
