import { type FormEvent, useEffect, useState } from 'react';
import { apiRequest, errorMessage } from '../api';
import { Notice, StatusBadge } from '../components';
import { Link } from '../router';
import { useSession } from '../session';
import type { TProposalDetail } from '../types';
import { useResource } from '../use-resource';
import { Decisions, Evidence, LineItemsTable, TemporalLinks, Timeline, VersionFacts } from './ProposalContent';
import { ProposalEditor } from './ProposalEditor';

// One proposal: what it says, why (the call evidence), what happened to it, and the rep's three decisions.
// Every decision names the version on screen, so the API refuses it when someone changed the proposal since.

/** Statuses that change without the rep doing anything; the page refreshes itself while in one. */
const movingStatuses = new Set(['generating', 'approved', 'sent']);
const refreshIntervalMs = 3000;

type TMode = 'view' | 'edit' | 'reject';

export function ProposalPage(props: { proposalId: string }) {
  const me = useSession();
  const proposal = useResource<TProposalDetail>(`/api/proposals/${encodeURIComponent(props.proposalId)}`);
  const [mode, setMode] = useState<TMode>('view');
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();

  const status = proposal.data?.status;
  const { reload } = proposal;
  useEffect(() => {
    if (status === undefined || !movingStatuses.has(status)) {
      return;
    }
    const timer = window.setInterval(() => void reload(), refreshIntervalMs);

    return () => window.clearInterval(timer);
  }, [status, reload]);

  if (proposal.error && !proposal.data) {
    return (
      <>
        <p>
          <Link href="/inbox">← Inbox</Link>
        </p>
        <Notice kind="error">The proposal could not be loaded: {errorMessage(proposal.error)}</Notice>
      </>
    );
  }
  if (!proposal.data) {
    return <p className="muted">Loading…</p>;
  }

  const detail = proposal.data;
  const content = detail.version?.content;
  const canDecide = detail.status === 'awaiting_decision' && me.role !== 'auditor' && detail.version !== null;
  const finished = async (text: string) => {
    setMode('view');
    setMessage({ kind: 'success', text });
    await reload();
  };

  return (
    <article className="proposal">
      <p>
        <Link href="/inbox">← Inbox</Link>
      </p>
      <div className="page-heading">
        <h1>{content?.title ?? 'Proposal'}</h1>
        <StatusBadge status={detail.status} />
      </div>
      {detail.status === 'blocked' ? (
        <Notice kind="warning">
          No proposal was generated from this call: {detail.blockedReason ?? 'consent is missing'}
        </Notice>
      ) : null}
      {detail.rejectionReason ? <Notice kind="info">Rejected: {detail.rejectionReason}</Notice> : null}
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}

      {canDecide && mode === 'view' ? (
        <DecisionButtons
          detail={detail}
          onEdit={() => setMode('edit')}
          onReject={() => setMode('reject')}
          onApproved={(text) => void finished(text)}
          onRefused={(text) => setMessage({ kind: 'error', text })}
        />
      ) : null}
      {canDecide && mode === 'reject' ? (
        <RejectForm
          detail={detail}
          onCancel={() => setMode('view')}
          onRejected={(text) => void finished(text)}
          onRefused={(text) => setMessage({ kind: 'error', text })}
        />
      ) : null}
      {canDecide && mode === 'edit' && content ? (
        <ProposalEditor
          detail={detail}
          content={content}
          onCancel={() => setMode('view')}
          onSaved={(text) => void finished(text)}
        />
      ) : null}

      <VersionFacts proposal={detail} />

      {content ? (
        <>
          <section aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            <p className="prose">{content.summary}</p>
          </section>
          <section aria-labelledby="items-heading">
            <h2 id="items-heading">Line items</h2>
            <LineItemsTable content={content} />
          </section>
          <section aria-labelledby="terms-heading">
            <h2 id="terms-heading">Terms</h2>
            <p className="prose">{content.terms}</p>
          </section>
          <section aria-labelledby="evidence-heading">
            <h2 id="evidence-heading">Call evidence</h2>
            <Evidence evidence={content.evidence} />
          </section>
        </>
      ) : null}

      <div className="two-columns">
        <section aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">Status timeline</h2>
          <Timeline timeline={detail.timeline} />
        </section>
        <section aria-labelledby="decisions-heading">
          <h2 id="decisions-heading">Decisions</h2>
          <Decisions decisions={detail.decisions} />
        </section>
      </div>
      <section aria-labelledby="temporal-heading">
        <h2 id="temporal-heading">Workflows</h2>
        <TemporalLinks temporal={detail.temporal} />
      </section>
    </article>
  );
}

interface TDecisionProps {
  detail: TProposalDetail;
  onRefused: (message: string) => void;
}

function DecisionButtons(
  props: TDecisionProps & { onEdit: () => void; onReject: () => void; onApproved: (message: string) => void },
) {
  const [busy, setBusy] = useState(false);
  const version = props.detail.version!.version;

  const approve = async () => {
    setBusy(true);
    try {
      await apiRequest('POST', `/api/proposals/${encodeURIComponent(props.detail.id)}/approve`, { body: { version } });
      props.onApproved(`Version ${version} approved.`);
    } catch (caught) {
      props.onRefused(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="actions" role="group" aria-label="Decision">
      <button type="button" className="button-primary" disabled={busy} onClick={() => void approve()}>
        Approve version {version}
      </button>
      <button type="button" disabled={busy} onClick={props.onEdit}>
        Edit
      </button>
      <button type="button" className="button-danger" disabled={busy} onClick={props.onReject}>
        Reject
      </button>
    </div>
  );
}

function RejectForm(props: TDecisionProps & { onCancel: () => void; onRejected: (message: string) => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const version = props.detail.version!.version;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await apiRequest('POST', `/api/proposals/${encodeURIComponent(props.detail.id)}/reject`, {
        body: { version, reason: reason.trim() },
      });
      props.onRejected(`Version ${version} rejected.`);
    } catch (caught) {
      props.onRefused(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(event) => void submit(event)}>
      <h2>Reject version {version}</h2>
      <label className="field">
        Reason (required, shown to your team)
        <textarea
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          required
          maxLength={2000}
          rows={3}
          autoFocus
        />
      </label>
      <div className="actions">
        <button type="submit" className="button-danger" disabled={busy || reason.trim() === ''}>
          Reject version {version}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
