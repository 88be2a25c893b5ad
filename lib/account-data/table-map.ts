// Which rows of every table belong to one account. Account deletion deletes them and data export copies
// them, so both always agree. Each condition is SQL over the table's own columns, with two parameters:
//   $1  the user id (the identity provider's `sub`)
//   $2  text[] of the ids of the companies in which the user is the only member
// A user who is the only member of a company owns that company's data as well. In a company with other
// members, the account owns only what it created (its meetings, proposals, campaigns, connections, logs);
// the company keeps the rest, and rows that only name the user (a consent change, a decision) are kept
// with the user's id replaced, because deleting them would rewrite the company's consent and decision record.

export interface OwnedTable {
  table: string;
  /** SQL condition selecting the account's rows, or null for a table that contains no account data. */
  owned: string | null;
  /** Reason that `owned` is null. */
  notOwnedBecause?: string;
  /** Columns of rows the account does not own that still hold its user id, and what replaces the id. */
  references?: Array<{ column: string; replacement: 'null' | 'placeholder' }>;
  /** Secret columns left out of exports: token ciphertexts and hashes of single-use links. */
  secretColumns?: string[];
}

/** Id of the users row that replaces deleted users in company records that must keep a valid reference. */
export const deletedUserPlaceholderId = 'deleted-user';

const soleCompany = 'organization_id = ANY($2::text[])';
/** Ids of the meetings the account owns; uses the same $1 and $2 as the table conditions. */
export const ownedMeetings = `SELECT id FROM meetings WHERE ${soleCompany} OR created_by_id = $1`;
const ownedProposals = `SELECT id FROM proposals WHERE ${soleCompany} OR rep_user_id = $1 OR meeting_id IN (${ownedMeetings})`;
const ownedCampaigns = `SELECT id FROM campaigns WHERE ${soleCompany} OR created_by_id = $1`;
const ownedTranscripts = `SELECT id FROM transcripts WHERE ${soleCompany} OR meeting_id IN (${ownedMeetings})`;
// Provider ids the account's rows were known by, so their webhook receipts go with them.
const ownedProviderIds = [
  `SELECT bot_id FROM meetings WHERE bot_id IS NOT NULL AND id IN (${ownedMeetings})`,
  `SELECT audio_transcript_id FROM call_intelligence WHERE audio_transcript_id IS NOT NULL AND meeting_id IN (${ownedMeetings})`,
  `SELECT external_id FROM envelopes WHERE ${soleCompany} OR proposal_id IN (${ownedProposals})`,
  `SELECT uid FROM cal_bookings WHERE ${soleCompany} OR campaign_id IN (${ownedCampaigns})`,
  `SELECT instantly_campaign_id FROM campaigns WHERE instantly_campaign_id IS NOT NULL AND id IN (${ownedCampaigns})`,
  `SELECT stripe_customer_id FROM billing_accounts WHERE stripe_customer_id IS NOT NULL AND ${soleCompany}`,
  `SELECT stripe_subscription_id FROM billing_accounts WHERE stripe_subscription_id IS NOT NULL AND ${soleCompany}`,
].join(' UNION ');

/**
 * Every table of the public schema, children before parents: deleting in this order never breaks a
 * foreign key, and each condition still finds its parent rows when it runs.
 */
export const accountTables: readonly OwnedTable[] = [
  { table: 'webhook_events', owned: `subject_id IN (${ownedProviderIds})` },
  { table: 'transcript_embeddings', owned: `transcript_id IN (${ownedTranscripts})` },
  { table: 'transcripts', owned: `id IN (${ownedTranscripts})` },
  { table: 'call_intelligence', owned: `${soleCompany} OR meeting_id IN (${ownedMeetings})` },
  {
    table: 'proposal_decisions',
    owned: `proposal_id IN (${ownedProposals})`,
    references: [{ column: 'actor_user_id', replacement: 'placeholder' }],
  },
  {
    table: 'proposal_versions',
    owned: `proposal_id IN (${ownedProposals})`,
    references: [{ column: 'created_by_id', replacement: 'null' }],
  },
  {
    table: 'signing_requests',
    owned: `${soleCompany} OR proposal_id IN (${ownedProposals})`,
    secretColumns: ['token_hash'],
  },
  { table: 'envelopes', owned: `${soleCompany} OR proposal_id IN (${ownedProposals})` },
  { table: 'cover_emails', owned: `${soleCompany} OR sender_user_id = $1 OR proposal_id IN (${ownedProposals})` },
  { table: 'documents', owned: `${soleCompany} OR proposal_id IN (${ownedProposals})` },
  {
    table: 'audit_events',
    owned:
      `${soleCompany} OR actor_user_id = $1` +
      ` OR (subject_type = 'meeting' AND subject_id IN (SELECT id::text FROM meetings WHERE id IN (${ownedMeetings})))` +
      ` OR (subject_type = 'proposal' AND subject_id IN (SELECT id::text FROM proposals WHERE id IN (${ownedProposals})))`,
  },
  { table: 'proposals', owned: `id IN (${ownedProposals})` },
  {
    table: 'cal_bookings',
    owned: `${soleCompany} OR campaign_id IN (${ownedCampaigns}) OR meeting_id IN (${ownedMeetings})`,
  },
  { table: 'campaign_recipients', owned: `campaign_id IN (${ownedCampaigns})` },
  { table: 'campaigns', owned: `id IN (${ownedCampaigns})` },
  { table: 'usage_records', owned: `${soleCompany} OR user_id = $1 OR meeting_id IN (${ownedMeetings})` },
  { table: 'meetings', owned: `id IN (${ownedMeetings})`, secretColumns: ['sage_session_hash'] },
  { table: 'prospect_intelligence', owned: soleCompany },
  { table: 'prospects', owned: soleCompany },
  {
    table: 'consent_records',
    owned: soleCompany,
    references: [{ column: 'changed_by_id', replacement: 'placeholder' }],
  },
  { table: 'price_book_items', owned: soleCompany },
  {
    table: 'price_books',
    owned: soleCompany,
    references: [{ column: 'updated_by_id', replacement: 'null' }],
  },
  { table: 'email_suppressions', owned: soleCompany },
  { table: 'billing_accounts', owned: soleCompany },
  {
    table: 'oauth_connections',
    owned: `${soleCompany} OR user_id = $1`,
    secretColumns: ['access_token_ciphertext', 'refresh_token_ciphertext', 'key_id'],
  },
  // An export never contains earlier archives, which would nest every export in the next one.
  { table: 'data_exports', owned: 'user_id = $1', secretColumns: ['archive', 'token_hash'] },
  // Receipts of account deletions carry no company id; the sweep's receipts of a deleted company go with it.
  { table: 'subprocessor_deletions', owned: soleCompany },
  { table: 'application_logs', owned: `${soleCompany} OR user_id = $1` },
  { table: 'memberships', owned: `${soleCompany} OR user_id = $1` },
  { table: 'organizations', owned: 'id = ANY($2::text[])' },
  { table: 'account_deletion_requests', owned: 'user_id = $1' },
  { table: 'users', owned: 'id = $1' },
  {
    table: 'retention_runs',
    owned: null,
    notOwnedBecause: 'one row per daily sweep with counts only; no company or user id',
  },
];

/** SQL condition for the rows of `entry` the account owns or that still name the user. */
export function exportCondition(entry: OwnedTable): string | null {
  const referencing = (entry.references ?? []).map((reference) => `${reference.column} = $1`);
  const parts = [...(entry.owned === null ? [] : [`(${entry.owned})`]), ...referencing];

  return parts.length === 0 ? null : parts.join(' OR ');
}
