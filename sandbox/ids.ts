import { createHash } from 'node:crypto';

// Identifiers the stand-ins hand out. They are derived from their inputs (and a per-server sequence
// number where the real provider would mint a new one), so the same run produces the same ids.

/** Hex SHA-256 of the parts, joined with a separator that cannot occur inside a part's JSON form. */
export function digestHex(...parts: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(JSON.stringify(part) ?? 'undefined').update('\u0000');
  }

  return hash.digest('hex');
}

/** Derives a version-4-shaped UUID from the parts, the form of Recall and AssemblyAI ids. */
export function derivedUuid(...parts: readonly unknown[]): string {
  const hex = digestHex(...parts);
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);

  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Derives a prefixed opaque id such as `msg_…` or `toolu_…`, with 24 characters after the prefix. */
export function derivedToken(prefix: string, ...parts: readonly unknown[]): string {
  const base64 = Buffer.from(digestHex(...parts), 'hex').toString('base64url');

  return `${prefix}${base64.replace(/[-_]/g, '').slice(0, 24)}`;
}

/** A seeded pseudo-random generator (mulberry32) for deterministic shuffles. */
export function seededRandom(seedText: string): () => number {
  let state = parseInt(digestHex(seedText).slice(0, 8), 16) >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;

    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
