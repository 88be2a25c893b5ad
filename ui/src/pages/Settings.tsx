import { type FormEvent, useEffect, useState } from 'react';
import { apiRequest, errorMessage } from '../api';
import { Notice } from '../components';
import { formatDateTime } from '../format';
import { useSession } from '../session';
import type { TConsent, TConsentChange, TConsentScope, TProposalSettings, TSigningPath } from '../types';
import { useResource } from '../use-resource';
import { ConnectionSettings } from './ConnectionSettings';
import { PriceBookSettings } from './PriceBookSettings';

// Company settings. Admins change them, and reps and auditors see the same page with every control disabled.

const consentLabels: Record<TConsentScope, string> = {
  generate_from_call_data: 'Proposals and IOs may be generated from call data',
  use_price_book: "The company's price book and terms may be used as their basis",
  require_rep_approval: "Every generated document needs a rep's approval before it is sent",
};

const consentOrder: TConsentScope[] = ['generate_from_call_data', 'use_price_book', 'require_rep_approval'];

export function SettingsPage() {
  const me = useSession();
  const isAdmin = me.role === 'admin';

  return (
    <>
      <h1>Settings</h1>
      {isAdmin ? null : <Notice kind="info">Only a company admin can change these settings; you can read them.</Notice>}
      <ConsentSettings isAdmin={isAdmin} />
      <ProposalRules isAdmin={isAdmin} />
      <PriceBookSettings isAdmin={isAdmin} />
      <ConnectionSettings />
    </>
  );
}

function consentState(box: TConsentChange): string {
  if (box.changedAt === null) {
    return 'Never given';
  }
  const who = box.changedBy?.name ?? 'unknown user';

  return `${box.granted ? 'Given' : 'Withdrawn'} by ${who} on ${formatDateTime(box.changedAt)}`;
}

function ConsentSettings(props: { isAdmin: boolean }) {
  const consent = useResource<TConsent>('/api/settings/consent');
  const [error, setError] = useState<string>();
  // The box a click changed shows its new state while the change is saved, and its old state if it fails.
  const [pending, setPending] = useState<{ scope: TConsentScope; granted: boolean }>();

  const change = async (scope: TConsentScope, granted: boolean) => {
    setPending({ scope, granted });
    setError(undefined);
    try {
      await apiRequest('PUT', `/api/settings/consent/${scope}`, { body: { granted } });
      await consent.reload();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(undefined);
    }
  };

  const boxes = consentOrder.flatMap((scope) => consent.data?.boxes.filter((box) => box.scope === scope) ?? []);

  return (
    <section className="card" aria-labelledby="consent-heading">
      <h2 id="consent-heading">Proposal consent</h2>
      <p className="muted">
        A qualifying call becomes a proposal only while all three are given. Each change is recorded with who made it
        and when.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {consent.error ? <Notice kind="error">{errorMessage(consent.error)}</Notice> : null}
      <fieldset disabled={!props.isAdmin}>
        <legend className="visually-hidden">Consent</legend>
        {boxes.map((box) => (
          <label key={box.scope} className="choice">
            <input
              type="checkbox"
              checked={pending?.scope === box.scope ? pending.granted : box.granted}
              disabled={pending !== undefined}
              onChange={(event) => void change(box.scope, event.target.checked)}
            />
            <span>
              {consentLabels[box.scope]}
              <br />
              <span className="muted">{consentState(box)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {consent.data && consent.data.history.length > 0 ? (
        <details>
          <summary>
            History ({consent.data.history.length} {consent.data.history.length === 1 ? 'change' : 'changes'})
          </summary>
          <div className="table-scroll">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Box</th>
                  <th scope="col">Change</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {consent.data.history.map((change, index) => (
                  <tr key={index}>
                    <td>{formatDateTime(change.changedAt)}</td>
                    <td>{consentLabels[change.scope] ?? change.scope}</td>
                    <td>{change.granted ? 'Given' : 'Withdrawn'}</td>
                    <td>{change.changedBy?.name ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}
    </section>
  );
}

function ProposalRules(props: { isAdmin: boolean }) {
  const settings = useResource<TProposalSettings>('/api/settings/proposals');
  const [signingPath, setSigningPath] = useState<TSigningPath>('built_in');
  const [minScore, setMinScore] = useState('');
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();

  useEffect(() => {
    if (settings.data) {
      setSigningPath(settings.data.signingPath);
      setMinScore(String(settings.data.proposalMinScore));
    }
  }, [settings.data]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await apiRequest('PUT', '/api/settings/proposals', {
        body: { signingPath, proposalMinScore: Number(minScore) },
      });
      setMessage({ kind: 'success', text: 'Saved.' });
      await settings.reload();
    } catch (caught) {
      setMessage({ kind: 'error', text: errorMessage(caught) });
    }
  };

  return (
    <section className="card" aria-labelledby="rules-heading">
      <h2 id="rules-heading">Proposal rules</h2>
      {settings.data ? (
        <p>
          A call starts a proposal when its analysis says the deal qualifies and its qualification score is at least{' '}
          <strong>{settings.data.proposalMinScore}</strong>.
        </p>
      ) : null}
      {settings.error ? <Notice kind="error">{errorMessage(settings.error)}</Notice> : null}
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <form onSubmit={(event) => void submit(event)}>
        <fieldset disabled={!props.isAdmin || !settings.data} className="row-fields">
          <legend className="visually-hidden">Proposal rules</legend>
          <label className="field">
            Signing path
            <select value={signingPath} onChange={(event) => setSigningPath(event.target.value as TSigningPath)}>
              <option value="built_in">Built-in signing page</option>
              <option value="docusign">DocuSign</option>
              <option value="pandadoc">PandaDoc</option>
            </select>
          </label>
          <label className="field">
            Minimum qualification score
            <input
              type="number"
              min={0}
              max={100}
              step={1}
              value={minScore}
              onChange={(event) => setMinScore(event.target.value)}
              required
            />
          </label>
          {props.isAdmin ? (
            <div className="actions">
              <button type="submit">Save rules</button>
            </div>
          ) : null}
        </fieldset>
      </form>
    </section>
  );
}
