import type { TItemPick, TLineItem } from './content';

// Line items and totals in integer minor units (cents for USD). Picks naming an item outside the active
// price book are dropped, and a repeated item id is merged into one line, so the only prices that can
// appear on a proposal are the price book's.

export interface PriceBookEntry {
  id: string;
  sku: string;
  name: string;
  unit: string;
  unitPriceMinor: number;
}

export interface PricedLines {
  lineItems: TLineItem[];
  subtotalMinor: number;
  totalMinor: number;
  /** Item ids that were not in the active price book. */
  droppedItemIds: string[];
}

export function priceLineItems(picks: readonly TItemPick[], priceBook: readonly PriceBookEntry[]): PricedLines {
  const byId = new Map(priceBook.map((entry) => [entry.id, entry]));
  const quantities = new Map<string, number>();
  const droppedItemIds: string[] = [];
  for (const pick of picks) {
    if (!byId.has(pick.itemId)) {
      droppedItemIds.push(pick.itemId);
      continue;
    }
    quantities.set(pick.itemId, (quantities.get(pick.itemId) ?? 0) + pick.quantity);
  }

  const lineItems = [...quantities].map(([itemId, quantity]) => {
    const entry = byId.get(itemId)!;
    const totalMinor = quantity * entry.unitPriceMinor;
    if (!Number.isSafeInteger(totalMinor)) {
      throw new RangeError(`Line total of item ${entry.sku} exceeds the largest exact integer`);
    }

    return {
      itemId,
      sku: entry.sku,
      name: entry.name,
      unit: entry.unit,
      quantity,
      unitPriceMinor: entry.unitPriceMinor,
      totalMinor,
    };
  });
  const subtotalMinor = lineItems.reduce((sum, line) => sum + line.totalMinor, 0);

  // No tax or discount rules exist yet, so the total equals the subtotal.
  return { lineItems, subtotalMinor, totalMinor: subtotalMinor, droppedItemIds };
}

/** The company-visible qualification rule: the model says the call qualifies and its score reaches the minimum. */
export function qualifiesForProposal(verdict: { qualifies: boolean; score: number }, minScore: number): boolean {
  return verdict.qualifies && verdict.score >= minScore;
}
