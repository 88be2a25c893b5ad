// Display formats: money in minor units shown in its currency, dates in the reader's locale.

const fractionDigitsCache = new Map<string, number>();

function fractionDigits(currency: string): number {
  let digits = fractionDigitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    fractionDigitsCache.set(currency, digits);
  }

  return digits;
}

/** Formats an integer amount in minor units (cents for USD, yen for JPY) as money in that currency. */
export function formatMoney(amountMinor: number | null | undefined, currency: string | null | undefined): string {
  if (amountMinor === null || amountMinor === undefined) {
    return '—';
  }
  const code = currency ?? 'USD';
  const digits = fractionDigits(code);
  const amount = amountMinor / 10 ** digits;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(amount);
  } catch {
    return `${amount.toFixed(digits)} ${code}`;
  }
}

/** Converts a decimal price typed by a person ("1,200.50") to minor units, or null when it is not a price. */
export function parseMoney(text: string, currency: string): number | null {
  const cleaned = text.replace(/[\s,]/g, '');
  if (!/^\d+(\.\d+)?$/.test(cleaned)) {
    return null;
  }
  const digits = fractionDigits(currency);

  return Math.round(Number(cleaned) * 10 ** digits);
}

export function minorToDecimalText(amountMinor: number, currency: string): string {
  return (amountMinor / 10 ** fractionDigits(currency)).toFixed(fractionDigits(currency));
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) {
    return '—';
  }
  const date = new Date(value);

  return Number.isNaN(date.getTime())
    ? value
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(value: string | null | undefined): string {
  if (!value) {
    return '—';
  }
  const date = new Date(value);

  return Number.isNaN(date.getTime()) ? value : date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

const statusLabels: Record<string, string> = {
  generating: 'Generating',
  blocked: 'Blocked',
  awaiting_decision: 'Awaiting decision',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  sent: 'Sent for signature',
  signed: 'Signed',
  declined: 'Declined',
  voided: 'Voided',
  failed: 'Failed',
};

export function statusLabel(status: string): string {
  return statusLabels[status] ?? status.replace(/_/g, ' ');
}
