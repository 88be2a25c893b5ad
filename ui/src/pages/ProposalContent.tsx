import { Hash } from '../components';
import { formatDateTime, formatMoney, statusLabel } from '../format';
import type { TDecision, TProposalContent, TProposalDetail } from '../types';

// Read-only parts of a proposal: the document's content, the call evidence behind it, decisions and timeline.

export function LineItemsTable(props: { content: TProposalContent }) {
  const { content } = props;

  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className="visually-hidden">Line items</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" className="number">
              Quantity
            </th>
            <th scope="col">Unit</th>
            <th scope="col" className="number">
              Unit price
            </th>
            <th scope="col" className="number">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {content.lineItems.map((item) => (
            <tr key={item.itemId}>
              <td>
                {item.name}
                <span className="muted"> · {item.sku}</span>
              </td>
              <td className="number">{item.quantity.toLocaleString()}</td>
              <td>{item.unit}</td>
              <td className="number">{formatMoney(item.unitPriceMinor, content.currency)}</td>
              <td className="number">{formatMoney(item.totalMinor, content.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          {content.subtotalMinor !== content.totalMinor ? (
            <tr>
              <th scope="row" colSpan={4}>
                Subtotal
              </th>
              <td className="number">{formatMoney(content.subtotalMinor, content.currency)}</td>
            </tr>
          ) : null}
          <tr>
            <th scope="row" colSpan={4}>
              Total ({content.currency})
            </th>
            <td className="number total">{formatMoney(content.totalMinor, content.currency)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** "economic_buyer" or "economicBuyer" → "Economic buyer", the MEDDPICC field a quote supports. */
function fieldLabel(field: string): string {
  const words = field
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();

  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Groups the quotes by field, keeping fields in the order they first appear. */
function groupEvidence(evidence: TProposalContent['evidence']): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const item of evidence) {
    groups.set(item.field, [...(groups.get(item.field) ?? []), item.quote]);
  }

  return [...groups.entries()];
}

export function Evidence(props: { evidence: TProposalContent['evidence'] }) {
  if (props.evidence.length === 0) {
    return <p className="muted">The analysis quoted no evidence for this proposal.</p>;
  }

  return (
    <ul className="evidence">
      {groupEvidence(props.evidence).map(([field, quotes]) => (
        <li key={field}>
          <span className="evidence-field">{fieldLabel(field)}</span>
          {quotes.map((quote, index) => (
            <blockquote key={index}>{quote}</blockquote>
          ))}
        </li>
      ))}
    </ul>
  );
}

const decisionLabels: Record<string, string> = { approve: 'Approved', reject: 'Rejected', edit: 'Edited' };

function decisionName(decision: TDecision): string {
  const kind = decision.kind ?? decision.decision ?? 'decision';

  return decisionLabels[kind] ?? statusLabel(kind);
}

function actorName(decision: TDecision): string {
  return decision.actor?.name ?? decision.actorUserId ?? '—';
}

export function Decisions(props: { decisions: TDecision[] }) {
  if (props.decisions.length === 0) {
    return <p className="muted">No decisions yet.</p>;
  }

  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className="visually-hidden">Decisions</caption>
        <thead>
          <tr>
            <th scope="col">Decision</th>
            <th scope="col" className="number">
              Version
            </th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {props.decisions.map((decision, index) => (
            <tr key={index}>
              <td>{decisionName(decision)}</td>
              <td className="number">{decision.version}</td>
              <td>{actorName(decision)}</td>
              <td>{formatDateTime(decision.at ?? decision.createdAt)}</td>
              <td>{decision.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Timeline(props: { timeline: TProposalDetail['timeline'] }) {
  return (
    <ol className="timeline">
      {props.timeline.map((entry, index) => (
        <li key={`${entry.status}-${index}`}>
          <span className="timeline-status">{statusLabel(entry.status)}</span>
          <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
        </li>
      ))}
    </ol>
  );
}

export function TemporalLinks(props: { temporal: TProposalDetail['temporal'] }) {
  return (
    <ul className="plain-list">
      <li>
        <a href={props.temporal.proposalUrl} target="_blank" rel="noreferrer">
          Proposal workflow in Temporal Web
        </a>
      </li>
      {props.temporal.signatureUrl ? (
        <li>
          <a href={props.temporal.signatureUrl} target="_blank" rel="noreferrer">
            Signature workflow in Temporal Web
          </a>
        </li>
      ) : null}
    </ul>
  );
}

export function VersionFacts(props: { proposal: TProposalDetail }) {
  const { proposal } = props;
  const signingPaths = { built_in: 'Built-in signing page', docusign: 'DocuSign', pandadoc: 'PandaDoc' };

  return (
    <dl className="facts">
      <div>
        <dt>Version</dt>
        <dd>
          {proposal.version?.version ?? '—'}
          {proposal.latestVersion !== null && proposal.version?.version !== proposal.latestVersion
            ? ` (latest is ${proposal.latestVersion})`
            : ''}
        </dd>
      </div>
      <div>
        <dt>Content hash (SHA-256)</dt>
        <dd>
          <Hash value={proposal.version?.contentHash} />
        </dd>
      </div>
      {proposal.status === 'awaiting_decision' ? (
        <div>
          <dt>Expires</dt>
          <dd>{formatDateTime(proposal.expiresAt)}</dd>
        </div>
      ) : null}
      <div>
        <dt>Signing</dt>
        <dd>{signingPaths[proposal.signingPath] ?? proposal.signingPath}</dd>
      </div>
      <div>
        <dt>Signer</dt>
        <dd>
          {proposal.signer?.name ?? '—'}
          {proposal.signer?.email ? <span className="muted"> · {proposal.signer.email}</span> : null}
        </dd>
      </div>
      {proposal.approvedVersion !== null ? (
        <div>
          <dt>Approved version</dt>
          <dd>{proposal.approvedVersion}</dd>
        </div>
      ) : null}
      {proposal.documentSha256 ? (
        <div>
          <dt>Document SHA-256</dt>
          <dd>
            <Hash value={proposal.documentSha256} />
          </dd>
        </div>
      ) : null}
    </dl>
  );
}
