// Summaries and the plain-text table the benchmarks print.

export interface Summary {
  median: number;
  max: number;
  samples: number;
}

/** Summarises samples by median and max. The median of an even count is the mean of the middle two. */
export function summarise(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    throw new Error('Cannot summarise an empty sample list');
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;

  return { median, max: sorted[sorted.length - 1]!, samples: sorted.length };
}

/** Formats rows as a Markdown table, so the same text works in a terminal and in docs/benchmarks.md. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;

  return [line(header), rule, ...rows.map(line)].join('\n');
}
