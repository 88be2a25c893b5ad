// Signatures of the e-signature activities, as the workflow calls them. They carry ids, hashes and statuses;
// the PDF bytes and the signing token never leave the activities.

export type TSigningPath = 'built_in' | 'docusign' | 'pandadoc';
export type TSignatureProvider = 'docusign' | 'pandadoc';
export type TOAuthProviderName = 'gmail' | 'docusign' | 'pandadoc';

export interface SignaturePlan {
  proposalId: string;
  organizationId: string;
  signingPath: TSigningPath;
  /** Days a signing link (or a provider envelope) stays open before the flow ends as expired. */
  signingLinkTtlDays: number;
}

/** The end of a sent document that is never signed: voided after a failure, expired when its time ran out. */
export type TClosingReason = 'voided' | 'expired';

/** Outcome of closing: `closed` when it voided the document, or the end the provider had already recorded. */
export type TClosingResult = 'closed' | 'signed' | 'declined' | 'voided';

export interface SignatureActivities {
  loadSignaturePlan(input: { proposalId: string }): Promise<SignaturePlan>;
  /** Renders the approved version to PDF and stores it as the `io` document; a repeat returns the stored one. */
  renderInsertionOrderDocument(input: { proposalId: string }): Promise<{ documentId: string; sha256: string }>;
  /**
   * Creates the single-use signing link and emails it through the rep's Gmail. The token exists only inside
   * this activity and the email, so a retry before the email went out replaces the link with a new one.
   */
  sendBuiltInSigningRequest(input: {
    proposalId: string;
    documentId: string;
    expiresAtMs: number;
  }): Promise<{ signingRequestId: string }>;
  createDocusignEnvelope(input: { proposalId: string; documentId: string }): Promise<{ envelopeId: string }>;
  createPandadocDocument(input: { proposalId: string; documentId: string }): Promise<{ pandadocId: string }>;
  /** Sends the cover email for a provider path, saying the provider's own email is on its way; once per proposal. */
  sendCoverEmail(input: { proposalId: string; provider: TSignatureProvider }): Promise<{ gmailMessageId: string }>;
  /** Marks the proposal as sent for signature with the SHA-256 of its document. */
  recordSignatureSent(input: { proposalId: string; documentSha256: string }): Promise<void>;
  /** Stores the signed IO (`signed_io`): the built-in audit page, or the provider's completed document. */
  storeSignedDocument(input: {
    proposalId: string;
    path: TSigningPath;
  }): Promise<{ documentId: string; sha256: string }>;
  /**
   * Voids or expires what was sent: the signing link, the DocuSign envelope or the PandaDoc document. A document
   * the provider has already completed, declined or voided is left as it is, and that end is returned.
   */
  closeSentDocument(input: {
    proposalId: string;
    path: TSigningPath;
    reason: TClosingReason;
  }): Promise<{ result: TClosingResult }>;
  /** Records the flow's end on the proposal and its signing rows. */
  recordSignatureOutcome(input: {
    proposalId: string;
    path: TSigningPath;
    outcome: 'signed' | 'declined' | 'voided' | 'expired';
  }): Promise<void>;
}
