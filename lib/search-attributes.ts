import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes operators filter on in Temporal Web, e.g.
// `MeetingId = "…"`, `OrganizationId = "…" AND MeetingStatus = "failed"`.
// The dev server registers them at start; a production cluster needs `temporal operator search-attribute create`.

export const meetingIdKey = defineSearchAttributeKey('MeetingId', SearchAttributeType.KEYWORD);
export const organizationIdKey = defineSearchAttributeKey('OrganizationId', SearchAttributeType.KEYWORD);
export const meetingStatusKey = defineSearchAttributeKey('MeetingStatus', SearchAttributeType.KEYWORD);
export const analysisStatusKey = defineSearchAttributeKey('AnalysisStatus', SearchAttributeType.KEYWORD);
export const proposalIdKey = defineSearchAttributeKey('ProposalId', SearchAttributeType.KEYWORD);
export const proposalStatusKey = defineSearchAttributeKey('ProposalStatus', SearchAttributeType.KEYWORD);
export const signatureStatusKey = defineSearchAttributeKey('SignatureStatus', SearchAttributeType.KEYWORD);
export const campaignIdKey = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);

/** Every custom attribute; the dev server, the test servers and compose register all of them. */
export const productSearchAttributeKeys = [
  meetingIdKey,
  organizationIdKey,
  meetingStatusKey,
  analysisStatusKey,
  proposalIdKey,
  proposalStatusKey,
  signatureStatusKey,
  campaignIdKey,
] as const;

/** Name and type of each attribute, in the `temporal` CLI's spelling (`--search-attribute Name=Type`). */
export const searchAttributeDefinitions: ReadonlyArray<{ name: string; cliType: 'Keyword' }> =
  productSearchAttributeKeys.map((key) => ({ name: key.name, cliType: 'Keyword' }));
