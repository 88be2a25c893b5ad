import { PDFDocument, StandardFonts } from 'pdf-lib';
import { setMetadata } from './insertion-order';
import { PageWriter } from './layout';

// The signed IO: the pages the signer read, unchanged, followed by an audit page that records who signed,
// when, from where, and the SHA-256 of the document as it was sent.

export interface SigningAudit {
  typedName: string;
  signerEmail: string;
  signedAt: Date;
  ip: string;
  userAgent: string;
  originalSha256: string;
  signingRequestId: string;
}

/** Appends the audit page to a copy of the original PDF and returns the new bytes. */
export async function appendAuditPage(original: Uint8Array, audit: SigningAudit): Promise<Uint8Array> {
  const document = await PDFDocument.load(original);
  setMetadata(document, `${document.getTitle() ?? 'Insertion order'} (signed)`, audit.signedAt);
  const writer = new PageWriter(document, {
    regular: await document.embedFont(StandardFonts.Helvetica),
    bold: await document.embedFont(StandardFonts.HelveticaBold),
  });

  writer.heading('Signature audit');
  writer.paragraph(`Signed by (typed name): ${audit.typedName}`);
  writer.paragraph(`Signer email: ${audit.signerEmail}`);
  writer.paragraph(`Signed at (UTC): ${audit.signedAt.toISOString()}`);
  writer.paragraph(`IP address: ${audit.ip}`);
  writer.paragraph(`User agent: ${audit.userAgent}`);
  writer.gap(8);
  writer.paragraph(`SHA-256 of the document as sent: ${audit.originalSha256}`);
  writer.paragraph(`Signing request: ${audit.signingRequestId}`);
  writer.gap(8);
  writer.paragraph(
    'The signer opened a single-use link sent to the email address above, typed their name and agreed to sign ' +
      'this document electronically.',
    { size: 9 },
  );

  return document.save({ useObjectStreams: false });
}
