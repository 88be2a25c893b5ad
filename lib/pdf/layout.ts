import { type PDFDocument, type PDFFont, type PDFPage, rgb } from 'pdf-lib';
import { wrapText } from './text';

// A top-to-bottom writer over A4 pages: it starts a new page when the next line would not fit.

const pageSize: [number, number] = [595.28, 841.89];
const margin = 56;

export class PageWriter {
  private page: PDFPage;
  private y: number;

  constructor(
    private readonly document: PDFDocument,
    private readonly fonts: { regular: PDFFont; bold: PDFFont },
  ) {
    this.page = document.addPage(pageSize);
    this.y = pageSize[1] - margin;
  }

  get contentWidth(): number {
    return pageSize[0] - 2 * margin;
  }

  heading(text: string, size = 16): void {
    this.paragraph(text, { size, bold: true });
    this.gap(4);
  }

  paragraph(text: string, options: { size?: number; bold?: boolean; indent?: number } = {}): void {
    const size = options.size ?? 10;
    const font = options.bold === true ? this.fonts.bold : this.fonts.regular;
    const indent = options.indent ?? 0;
    for (const line of wrapText(text, this.contentWidth - indent, (candidate) =>
      font.widthOfTextAtSize(candidate, size),
    )) {
      this.ensureRoom(size + 4);
      this.page.drawText(line, { x: margin + indent, y: this.y - size, size, font, color: rgb(0.1, 0.1, 0.1) });
      this.y -= size + 4;
    }
  }

  /** One table row: cells at fixed x offsets, the last ones right-aligned to their column's end. */
  row(cells: Array<{ text: string; x: number; width: number; align?: 'left' | 'right' }>, bold = false): void {
    const size = 9;
    const font = bold ? this.fonts.bold : this.fonts.regular;
    this.ensureRoom(size + 6);
    for (const cell of cells) {
      const [first = ''] = wrapText(cell.text, cell.width, (candidate) => font.widthOfTextAtSize(candidate, size));
      const width = font.widthOfTextAtSize(first, size);
      const x = margin + cell.x + (cell.align === 'right' ? cell.width - width : 0);
      this.page.drawText(first, { x, y: this.y - size, size, font });
    }
    this.y -= size + 6;
  }

  rule(): void {
    this.ensureRoom(8);
    this.page.drawLine({
      start: { x: margin, y: this.y - 3 },
      end: { x: pageSize[0] - margin, y: this.y - 3 },
      thickness: 0.5,
      color: rgb(0.6, 0.6, 0.6),
    });
    this.y -= 8;
  }

  gap(points: number): void {
    this.y -= points;
  }

  private ensureRoom(height: number): void {
    if (this.y - height < margin) {
      this.page = this.document.addPage(pageSize);
      this.y = pageSize[1] - margin;
    }
  }
}
