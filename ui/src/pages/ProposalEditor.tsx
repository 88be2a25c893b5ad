import { type FormEvent, useState } from 'react';
import { apiRequest, errorMessage } from '../api';
import { Notice } from '../components';
import { formatMoney } from '../format';
import type { TPriceBook, TProposalContent, TProposalDetail } from '../types';
import { useResource } from '../use-resource';

// The edit form. Saving creates the next version from the one on screen; only changed fields are sent, and
// line items can come only from the active price book, so the API computes every price and total.

interface TLineDraft {
  itemId: string;
  name: string;
  sku: string;
  unitPriceMinor: number;
  quantity: string;
}

interface TEditorProps {
  detail: TProposalDetail;
  content: TProposalContent;
  onCancel: () => void;
  onSaved: (message: string) => void;
}

export function ProposalEditor(props: TEditorProps) {
  const { detail, content } = props;
  const priceBook = useResource<TPriceBook>('/api/settings/price-book');
  const [title, setTitle] = useState(content.title);
  const [summary, setSummary] = useState(content.summary);
  const [terms, setTerms] = useState(content.terms);
  const [signerName, setSignerName] = useState(detail.signer?.name ?? '');
  const [signerEmail, setSignerEmail] = useState(detail.signer?.email ?? '');
  const [lines, setLines] = useState<TLineDraft[]>(() =>
    content.lineItems.map((item) => ({ ...item, quantity: String(item.quantity) })),
  );
  const [itemToAdd, setItemToAdd] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const baseVersion = detail.version!.version;

  const addableItems = (priceBook.data?.items ?? []).filter(
    (item) => item.active && !lines.some((line) => line.itemId === item.id),
  );

  const addItem = () => {
    const item = addableItems.find((candidate) => candidate.id === itemToAdd) ?? addableItems[0];
    if (item === undefined) {
      return;
    }
    setLines([
      ...lines,
      { itemId: item.id, name: item.name, sku: item.sku, unitPriceMinor: item.unitPriceMinor, quantity: '1' },
    ]);
    setItemToAdd('');
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const changes = collectChanges({ content, detail, title, summary, terms, signerName, signerEmail, lines });
    if (typeof changes === 'string') {
      setError(changes);
      return;
    }
    if (Object.keys(changes).length === 0) {
      setError('Nothing changed: edit a field before saving a new version.');
      return;
    }
    setBusy(true);
    try {
      const saved = await apiRequest<{ version: number }>(
        'POST',
        `/api/proposals/${encodeURIComponent(detail.id)}/versions`,
        {
          body: { baseVersion, changes },
        },
      );
      props.onSaved(`Saved as version ${saved.version}.`);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card editor" onSubmit={(event) => void submit(event)} aria-labelledby="editor-heading">
      <h2 id="editor-heading">Edit version {baseVersion}</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <label className="field">
        Title
        <input value={title} onChange={(event) => setTitle(event.target.value)} required maxLength={200} />
      </label>
      <label className="field">
        Summary
        <textarea value={summary} onChange={(event) => setSummary(event.target.value)} rows={4} />
      </label>
      <fieldset>
        <legend>Line items</legend>
        {lines.map((line, index) => (
          <div className="line-edit" key={line.itemId}>
            <span className="line-name">
              {line.name}{' '}
              <span className="muted">
                · {line.sku} · {formatMoney(line.unitPriceMinor, content.currency)}
              </span>
            </span>
            <label className="inline-field">
              Quantity
              <input
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                value={line.quantity}
                onChange={(event) =>
                  setLines(
                    lines.map((other, position) =>
                      position === index ? { ...other, quantity: event.target.value } : other,
                    ),
                  )
                }
                aria-label={`Quantity of ${line.name}`}
                required
              />
            </label>
            <button
              type="button"
              onClick={() => setLines(lines.filter((_, position) => position !== index))}
              aria-label={`Remove ${line.name}`}
            >
              Remove
            </button>
          </div>
        ))}
        <div className="line-add">
          <label className="inline-field">
            Add from price book
            <select
              value={itemToAdd}
              onChange={(event) => setItemToAdd(event.target.value)}
              disabled={addableItems.length === 0}
            >
              {addableItems.length === 0 ? <option value="">No other active items</option> : null}
              {addableItems.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name} ({formatMoney(item.unitPriceMinor, priceBook.data?.currency ?? content.currency)} /{' '}
                  {item.unit})
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={addItem} disabled={addableItems.length === 0}>
            Add item
          </button>
        </div>
      </fieldset>
      <label className="field">
        Terms
        <textarea value={terms} onChange={(event) => setTerms(event.target.value)} rows={4} />
      </label>
      <fieldset className="row-fields">
        <legend>Signer</legend>
        <label className="field">
          Name
          <input value={signerName} onChange={(event) => setSignerName(event.target.value)} autoComplete="off" />
        </label>
        <label className="field">
          Email
          <input
            type="email"
            value={signerEmail}
            onChange={(event) => setSignerEmail(event.target.value)}
            autoComplete="off"
          />
        </label>
      </fieldset>
      <div className="actions">
        <button type="submit" className="button-primary" disabled={busy}>
          Save as version {baseVersion + 1}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface TChanges {
  title?: string;
  summary?: string;
  terms?: string;
  lineItems?: Array<{ itemId: string; quantity: number }>;
  signer?: { name: string; email: string };
}

/** The changed fields, or a message when a quantity is not a positive whole number. */
function collectChanges(draft: {
  content: TProposalContent;
  detail: TProposalDetail;
  title: string;
  summary: string;
  terms: string;
  signerName: string;
  signerEmail: string;
  lines: TLineDraft[];
}): TChanges | string {
  const changes: TChanges = {};
  if (draft.title.trim() !== draft.content.title) {
    changes.title = draft.title.trim();
  }
  if (draft.summary !== draft.content.summary) {
    changes.summary = draft.summary;
  }
  if (draft.terms !== draft.content.terms) {
    changes.terms = draft.terms;
  }

  const lineItems = [];
  for (const line of draft.lines) {
    const quantity = Number(line.quantity);
    if (!Number.isInteger(quantity) || quantity < 1) {
      return `The quantity of ${line.name} must be a whole number of at least 1.`;
    }
    lineItems.push({ itemId: line.itemId, quantity });
  }
  if (lineItems.length === 0) {
    return 'A proposal needs at least one line item.';
  }
  const before = draft.content.lineItems.map((item) => `${item.itemId}:${item.quantity}`).join(',');
  if (lineItems.map((item) => `${item.itemId}:${item.quantity}`).join(',') !== before) {
    changes.lineItems = lineItems;
  }

  const signerBefore = draft.detail.signer ?? { name: '', email: '' };
  if (
    draft.signerName.trim() !== (signerBefore.name ?? '') ||
    draft.signerEmail.trim() !== (signerBefore.email ?? '')
  ) {
    changes.signer = { name: draft.signerName.trim(), email: draft.signerEmail.trim() };
  }

  return changes;
}
