import { describe, expect, it } from 'vitest';
import { loggablePath } from '../api/app';

// Request logs name the path of every request; single-use tokens in paths must not reach them.

describe('loggablePath', () => {
  it.each([
    ['/sign/Zk3v9_abcDEF-123', '/sign/[token]'],
    ['/signing/Zk3v9_abcDEF-123', '/signing/[token]'],
    ['/signing/Zk3v9_abcDEF-123/document.pdf', '/signing/[token]/document.pdf'],
    ['/exports/Qm8Yt2-xyz', '/exports/[token]'],
  ])('masks the token in %s', (path, expected) => {
    expect(loggablePath(path)).toBe(expected);
  });

  it('keeps other paths unchanged', () => {
    expect(loggablePath('/api/proposals/5b0d7c1e')).toBe('/api/proposals/5b0d7c1e');
    expect(loggablePath('/webhooks/docusign')).toBe('/webhooks/docusign');
  });
});
