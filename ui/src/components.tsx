import type { ReactNode } from 'react';
import { statusLabel } from './format';

export function Notice(props: { kind: 'error' | 'info' | 'success' | 'warning'; children: ReactNode }) {
  const role = props.kind === 'error' || props.kind === 'warning' ? 'alert' : 'status';

  return (
    <div className={`notice notice-${props.kind}`} role={role}>
      {props.children}
    </div>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span className={`badge badge-${props.status}`}>{statusLabel(props.status)}</span>;
}

/** A SHA-256 or other long hex value, broken anywhere so it never widens a phone screen. */
export function Hash(props: { value: string | null | undefined; label?: string }) {
  if (!props.value) {
    return <span className="muted">—</span>;
  }

  return (
    <code className="hash" aria-label={props.label}>
      {props.value}
    </code>
  );
}
