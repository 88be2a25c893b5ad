import { PDFDocument, StandardFonts } from 'pdf-lib';
import { PageWriter } from './layout';
import { formatMoney } from './text';

// The insertion order (IO) as a PDF: what the signer reads and signs. Rendering is deterministic for one
// version (fixed metadata dates), so a retried render stores the same bytes and the same SHA-256.

export interface InsertionOrderLineItem {
  sku: string;
  name: string;
  unit: string;
  quantity: number;
  unitPriceMinor: number;
  totalMinor: number;
}

export interface InsertionOrderInput {
  proposalId: string;
  title: string;
  summary: string;
  organizationName: string;
  prospect: { name: string; company: string | null; email: string | null };
  signer: { name: string; email: string };
  lineItems: InsertionOrderLineItem[];
  subtotalMinor: number;
  totalMinor: number;
  currency: string;
  terms: string;
  version: number;
  contentHash: string;
  /** When the version was created; used as the PDF's creation date. */
  versionCreatedAt: Date;
}

const columns = {
  sku: { x: 0, width: 70 },
  name: { x: 74, width: 190 },
  quantity: { x: 268, width: 50 },
  unitPrice: { x: 322, width: 80 },
  total: { x: 406, width: 77 },
};

export async function renderInsertionOrder(input: InsertionOrderInput): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  setMetadata(document, `Insertion order: ${input.title}`, input.versionCreatedAt);
  const writer = new PageWriter(document, {
    regular: await document.embedFont(StandardFonts.Helvetica),
    bold: await document.embedFont(StandardFonts.HelveticaBold),
  });

  writer.heading(`Insertion order: ${input.title}`);
  writer.paragraph(`From: ${input.organizationName}`);
  const prospectCompany = input.prospect.company === null ? '' : `, ${input.prospect.company}`;
  writer.paragraph(`For: ${input.prospect.name}${prospectCompany}`);
  writer.paragraph(`Signer: ${input.signer.name} <${input.signer.email}>`);
  writer.gap(8);
  writer.paragraph(input.summary);
  writer.gap(10);

  writer.row(
    [
      { text: 'SKU', ...columns.sku },
      { text: 'Item', ...columns.name },
      { text: 'Quantity', ...columns.quantity, align: 'right' },
      { text: 'Unit price', ...columns.unitPrice, align: 'right' },
      { text: 'Total', ...columns.total, align: 'right' },
    ],
    true,
  );
  writer.rule();
  for (const item of input.lineItems) {
    writer.row([
      { text: item.sku, ...columns.sku },
      { text: item.name, ...columns.name },
      { text: `${item.quantity} ${item.unit}`, ...columns.quantity, align: 'right' },
      { text: formatMoney(item.unitPriceMinor, input.currency), ...columns.unitPrice, align: 'right' },
      { text: formatMoney(item.totalMinor, input.currency), ...columns.total, align: 'right' },
    ]);
  }
  writer.rule();
  writer.row([
    { text: 'Subtotal', ...columns.unitPrice },
    { text: formatMoney(input.subtotalMinor, input.currency), ...columns.total, align: 'right' },
  ]);
  writer.row(
    [
      { text: 'Total', ...columns.unitPrice },
      { text: formatMoney(input.totalMinor, input.currency), ...columns.total, align: 'right' },
    ],
    true,
  );
  writer.gap(14);

  writer.heading('Terms', 12);
  for (const paragraph of input.terms.split(/\n{2,}/)) {
    writer.paragraph(paragraph);
    writer.gap(4);
  }
  writer.gap(14);
  writer.paragraph(`Proposal ${input.proposalId}, version ${input.version}`, { size: 8 });
  writer.paragraph(`Content SHA-256: ${input.contentHash}`, { size: 8 });

  return document.save({ useObjectStreams: false });
}

export function setMetadata(document: PDFDocument, title: string, date: Date): void {
  document.setTitle(title);
  document.setProducer('Sales Blitz');
  document.setCreator('Sales Blitz');
  document.setCreationDate(date);
  document.setModificationDate(date);
}
