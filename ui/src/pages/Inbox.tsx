import { errorMessage } from '../api';
import { Notice, StatusBadge } from '../components';
import { formatDate, formatMoney, statusLabel } from '../format';
import { Link, navigate, useLocation } from '../router';
import type { TProposalListItem, TProposalStatus } from '../types';
import { useResource } from '../use-resource';

// The rep's inbox: proposals awaiting a decision by default, any other status through the filter. Calls
// that produced no proposal because consent was missing are listed above, so the rep sees why.

const filterStatuses: TProposalStatus[] = [
  'awaiting_decision',
  'generating',
  'blocked',
  'approved',
  'sent',
  'signed',
  'rejected',
  'declined',
  'voided',
  'expired',
  'failed',
];

type TProposalList = { proposals: TProposalListItem[] };

export function InboxPage() {
  const location = useLocation();
  const status = location.searchParams.get('status') ?? 'awaiting_decision';
  const query = status === 'all' ? '' : `?status=${encodeURIComponent(status)}`;
  const list = useResource<TProposalList>(`/api/proposals${query}`);
  const blocked = useResource<TProposalList>(status === 'awaiting_decision' ? '/api/proposals?status=blocked' : null);

  const chooseStatus = (value: string) => {
    navigate(value === 'awaiting_decision' ? '/inbox' : `/inbox?status=${encodeURIComponent(value)}`, {
      replace: true,
    });
  };

  return (
    <>
      <div className="page-heading">
        <h1>Proposals</h1>
        <label className="inline-field">
          Status
          <select value={status} onChange={(event) => chooseStatus(event.target.value)}>
            {filterStatuses.map((value) => (
              <option key={value} value={value}>
                {statusLabel(value)}
              </option>
            ))}
            <option value="all">All statuses</option>
          </select>
        </label>
      </div>
      {blocked.data && blocked.data.proposals.length > 0 ? <BlockedCalls proposals={blocked.data.proposals} /> : null}
      {list.error ? <Notice kind="error">The proposals could not be loaded: {errorMessage(list.error)}</Notice> : null}
      {list.data ? <ProposalTable proposals={list.data.proposals} status={status} /> : null}
      {list.loading && !list.data ? <p className="muted">Loading…</p> : null}
    </>
  );
}

function BlockedCalls(props: { proposals: TProposalListItem[] }) {
  return (
    <Notice kind="warning">
      <strong>
        {props.proposals.length === 1
          ? 'One qualifying call produced no proposal.'
          : `${props.proposals.length} qualifying calls produced no proposal.`}
      </strong>
      <ul className="plain-list">
        {props.proposals.map((proposal) => (
          <li key={proposal.id}>
            <Link href={`/proposals/${proposal.id}`}>{proposal.prospect?.company ?? proposal.title ?? 'Call'}</Link>
            {': '}
            {proposal.blockedReason ?? 'open it to see why'}
          </li>
        ))}
      </ul>
    </Notice>
  );
}

function ProposalTable(props: { proposals: TProposalListItem[]; status: string }) {
  if (props.proposals.length === 0) {
    return (
      <p className="empty">
        {props.status === 'awaiting_decision'
          ? 'No proposals are awaiting your decision.'
          : `No proposals with status “${props.status === 'all' ? 'any' : statusLabel(props.status)}”.`}
      </p>
    );
  }

  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className="visually-hidden">Proposals</caption>
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Prospect</th>
            <th scope="col" className="number">
              Total
            </th>
            <th scope="col" className="number">
              Version
            </th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.proposals.map((proposal) => (
            <tr key={proposal.id}>
              <td>
                <Link href={`/proposals/${proposal.id}`}>{proposal.title ?? 'Untitled proposal'}</Link>
              </td>
              <td>
                {proposal.prospect?.name ?? '—'}
                {proposal.prospect?.company ? <span className="muted"> · {proposal.prospect.company}</span> : null}
              </td>
              <td className="number">{formatMoney(proposal.totalMinor, proposal.currency)}</td>
              <td className="number">{proposal.latestVersion ?? '—'}</td>
              <td className="nowrap">{formatDate(proposal.expiresAt)}</td>
              <td>
                <StatusBadge status={proposal.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
