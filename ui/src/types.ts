// Response shapes of the API routes the UI calls.

export type TRole = 'rep' | 'admin' | 'auditor';

export interface TMe {
  user: { id: string; name: string; email: string };
  organization: { id: string; name: string };
  role: TRole;
}

export type TProposalStatus =
  | 'generating'
  | 'blocked'
  | 'awaiting_decision'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'sent'
  | 'signed'
  | 'declined'
  | 'voided'
  | 'failed';

export interface TProposalListItem {
  id: string;
  status: TProposalStatus;
  title: string | null;
  prospect: { name: string | null; company: string | null } | null;
  totalMinor: number | null;
  currency: string | null;
  latestVersion: number | null;
  createdAt: string;
  expiresAt: string | null;
  blockedReason?: string | null;
}

export interface TLineItem {
  itemId: string;
  sku: string;
  name: string;
  unit: string;
  quantity: number;
  unitPriceMinor: number;
  totalMinor: number;
}

export interface TProposalContent {
  title: string;
  summary: string;
  lineItems: TLineItem[];
  subtotalMinor: number;
  totalMinor: number;
  currency: string;
  terms: string;
  evidence: Array<{ field: string; quote: string }>;
}

export interface TDecision {
  kind?: string;
  decision?: string;
  version: number;
  reason?: string | null;
  actor?: { id: string; name: string } | null;
  actorUserId?: string;
  contentHash?: string;
  at?: string;
  createdAt?: string;
}

export interface TProposalDetail {
  id: string;
  status: TProposalStatus;
  blockedReason: string | null;
  signingPath: 'built_in' | 'docusign' | 'pandadoc';
  latestVersion: number | null;
  approvedVersion: number | null;
  rejectionReason: string | null;
  expiresAt: string | null;
  documentSha256: string | null;
  signer: { name: string | null; email: string | null } | null;
  meetingId: string;
  version: {
    version: number;
    contentHash: string;
    content: TProposalContent;
    createdAt: string;
    createdBy: string | { id: string; name: string } | null;
  } | null;
  decisions: TDecision[];
  timeline: Array<{ status: string; at: string }>;
  temporal: { proposalUrl: string; signatureUrl: string | null };
}

export type TConsentScope = 'generate_from_call_data' | 'use_price_book' | 'require_rep_approval';

export interface TConsentChange {
  scope: TConsentScope;
  granted: boolean;
  changedBy: { id: string; name: string } | null;
  changedAt: string | null;
}

export interface TConsent {
  boxes: TConsentChange[];
  history: TConsentChange[];
}

export interface TPriceBookItem {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  unitPriceMinor: number;
  unit: string;
  active: boolean;
}

export interface TPriceBook {
  currency: string;
  terms: string;
  items: TPriceBookItem[];
}

export type TSigningPath = 'built_in' | 'docusign' | 'pandadoc';

export interface TProposalSettings {
  signingPath: TSigningPath;
  proposalMinScore: number;
}

export type TOAuthProvider = 'docusign' | 'pandadoc' | 'gmail';

export interface TConnection {
  provider: TOAuthProvider;
  status: 'active' | 'needs_reconnect';
  externalAccount: string | null;
  connectedAt: string | null;
}

export interface TSigningSummary {
  proposalTitle: string;
  organizationName: string;
  signerName: string | null;
  documentSha256: string;
  expiresAt: string;
  status: string;
}

export interface TLocalUser {
  id: string;
  name: string;
  email: string;
  role: TRole;
  organization: { id: string; name: string };
}
