// Text helpers for pdf-lib's standard fonts, which encode WinAnsi (Latin-1 plus a few typographic marks) only.

const replacements: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u00a0': ' ',
};

/** Replaces characters the standard fonts cannot draw, so a name in another script prints as `?` instead of failing. */
export function toWinAnsi(text: string): string {
  let result = '';
  for (const character of text.replace(/\s+/g, ' ')) {
    const code = character.codePointAt(0) ?? 0x3f;
    if (replacements[character] !== undefined) {
      result += replacements[character];
    } else if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa1 && code <= 0xff)) {
      result += character;
    } else {
      result += '?';
    }
  }

  return result;
}

/** Splits text into lines no wider than `maxWidth`, measured by `widthOf`; a word longer than a line is cut. */
export function wrapText(text: string, maxWidth: number, widthOf: (line: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of toWinAnsi(text).split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (widthOf(candidate) <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line !== '') {
      lines.push(line);
    }
    line = word;
    while (widthOf(line) > maxWidth && line.length > 1) {
      let cut = line.length - 1;
      while (cut > 1 && widthOf(line.slice(0, cut)) > maxWidth) cut -= 1;
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line !== '') {
    lines.push(line);
  }

  return lines;
}

/** Formats an amount in minor units (cents) with its ISO 4217 currency code, e.g. `USD 1,250.00`. */
export function formatMoney(minor: number, currency: string): string {
  const sign = minor < 0 ? '-' : '';
  const absolute = Math.abs(minor);
  const major = Math.floor(absolute / 100).toLocaleString('en-US');
  const cents = String(absolute % 100).padStart(2, '0');

  return `${currency} ${sign}${major}.${cents}`;
}
