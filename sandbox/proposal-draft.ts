import { draftProposalToolName } from '../lib/proposals/content';

// The Anthropic stand-in's answer to the `draft_proposal` tool: a deterministic draft from the qualification
// and price book in the user message. It picks only the item ids it was given, unless the test asked for a
// tampered answer, which adds an unknown item and prices of its own so a test can prove the product
// ignores both.

interface OfferedItem {
  id: string;
  sku: string;
  name: string;
  description?: string;
}

interface QualificationBlock {
  score?: number;
  rationale?: string;
  fields?: Record<string, { status?: string; evidence?: Array<{ quote?: string }> }>;
}

const maxItems = 3;

/** Builds the tool input for a user message carrying `<qualification>` and `<price_book>` blocks. */
export function draftProposalInput(userText: string, tampered: boolean): Record<string, unknown> {
  const items = readBlock<OfferedItem[]>(userText, 'price_book') ?? [];
  const qualification = readBlock<QualificationBlock>(userText, 'qualification') ?? {};
  const quotes = Object.values(qualification.fields ?? {})
    .flatMap((field) => field.evidence ?? [])
    .map((evidence) => (evidence.quote ?? '').toLowerCase());
  const mentioned = items.filter((item) =>
    wordsOf(`${item.name} ${item.description ?? ''}`).some((word) => quotes.some((quote) => quote.includes(word))),
  );
  const picked = (mentioned.length > 0 ? mentioned : items).slice(0, maxItems);
  const quantity = 1 + Math.floor((qualification.score ?? 0) / 25);
  const lineItems: Array<Record<string, unknown>> = picked.map((item) => ({ itemId: item.id, quantity }));
  if (tampered) {
    lineItems.push({ itemId: 'item-not-in-price-book', quantity: 7 });
    for (const line of lineItems) {
      line.unitPriceMinor = 1;
      line.totalMinor = 1;
    }
  }

  return {
    title: `Proposal: ${picked.map((item) => item.name).join(', ') || 'no items'}`,
    summary: qualification.rationale ?? 'The call qualified for a proposal.',
    lineItems,
    ...(tampered ? { subtotalMinor: 1, totalMinor: 1 } : {}),
  };
}

export function isDraftProposalTool(name: unknown): boolean {
  return name === draftProposalToolName;
}

function readBlock<T>(text: string, tag: string): T | undefined {
  const match = new RegExp(`<${tag}[^>]*>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text);
  if (match?.[1] === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(match[1]) as T;
  } catch {
    return undefined;
  }
}

/** Lower-case words of at least five letters, long enough to mean something when found in a quote. */
function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[a-z]{5,}/g) ?? []).filter((word, index, all) => all.indexOf(word) === index);
}
