// Cuts text to a budget of Unicode code points. Slicing a JavaScript string by UTF-16 units can
// split a surrogate pair (emoji, CJK Extension B and other astral characters) and leave a lone
// surrogate, which UTF-8 encoding (Buffer.from, TextEncoder) turns into U+FFFD.

/**
 * Truncates `text` to at most `maxCodePoints` code points without splitting a surrogate pair.
 * A lone surrogate already in the input counts as one code point, as `for...of` counts it.
 * NOTE: only code points are kept whole. A grapheme built from several code points (a ZWJ emoji
 * sequence, a flag, a letter with a combining accent) can still be cut between them.
 */
export function truncateToCodePoints(text: string, maxCodePoints: number): { text: string; truncated: boolean } {
  if (!Number.isInteger(maxCodePoints) || maxCodePoints < 0) {
    throw new RangeError(`maxCodePoints must be a non-negative integer, got ${maxCodePoints}`);
  }
  // Every code point takes one or two UTF-16 units, so a string this short cannot exceed the budget.
  if (text.length <= maxCodePoints) {
    return { text, truncated: false };
  }

  let end = 0;
  for (let count = 0; count < maxCodePoints && end < text.length; count += 1) {
    end += isSurrogatePairAt(text, end) ? 2 : 1;
  }

  return { text: text.slice(0, end), truncated: end < text.length };
}

function isSurrogatePairAt(text: string, index: number): boolean {
  const high = text.charCodeAt(index);
  const low = text.charCodeAt(index + 1);

  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}
