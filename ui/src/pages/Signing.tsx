import { type FormEvent, useState } from 'react';
import { ApiError, apiRequest, errorMessage } from '../api';
import { Hash, Notice } from '../components';
import { formatDateTime } from '../format';
import type { TSigningSummary } from '../types';
import { useResource } from '../use-resource';

// The public signing page. The link's token is the only credential, so no sign-in and no header; the token
// is sent only to the API's own /signing routes.

export function SigningPage(props: { token: string }) {
  const base = `/signing/${encodeURIComponent(props.token)}`;
  const summary = useResource<TSigningSummary>(base, { anonymous: true });
  const [signedHash, setSignedHash] = useState<string>();

  let body;
  if (signedHash !== undefined) {
    body = <SignedConfirmation documentSha256={signedHash} />;
  } else if (summary.error) {
    body = <LinkRefused error={summary.error} />;
  } else if (!summary.data) {
    body = <p className="muted">Loading…</p>;
  } else if (summary.data.status === 'signed') {
    body = <LinkRefused error={new ApiError(410, 'signing_link_used', '')} />;
  } else {
    body = <SigningForm base={base} summary={summary.data} onSigned={setSignedHash} />;
  }

  return (
    <main className="page signing" id="content">
      {body}
    </main>
  );
}

function SigningForm(props: { base: string; summary: TSigningSummary; onSigned: (hash: string) => void }) {
  const { summary } = props;
  const [typedName, setTypedName] = useState('');
  const [agree, setAgree] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await apiRequest<{ status: string; documentSha256: string }>('POST', props.base, {
        body: { typedName: typedName.trim(), agree: true },
        anonymous: true,
      });
      props.onSigned(result.documentSha256);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="muted">{summary.organizationName} asks you to sign</p>
      <h1>{summary.proposalTitle}</h1>
      <dl className="facts">
        <div>
          <dt>Signer</dt>
          <dd>{summary.signerName ?? '—'}</dd>
        </div>
        <div>
          <dt>Link expires</dt>
          <dd>{formatDateTime(summary.expiresAt)}</dd>
        </div>
        <div>
          <dt>Document SHA-256</dt>
          <dd>
            <Hash value={summary.documentSha256} />
          </dd>
        </div>
      </dl>
      <p>
        <a className="button" href={`${props.base}/document.pdf`} target="_blank" rel="noreferrer">
          Read the document (PDF)
        </a>
      </p>
      <form className="card" onSubmit={(event) => void submit(event)}>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <label className="field">
          Type your full name to sign
          <input
            value={typedName}
            onChange={(event) => setTypedName(event.target.value)}
            required
            maxLength={200}
            autoComplete="name"
          />
        </label>
        <label className="choice">
          <input type="checkbox" checked={agree} onChange={(event) => setAgree(event.target.checked)} required />
          <span>I have read the document and agree to sign it electronically.</span>
        </label>
        <button type="submit" className="button-primary" disabled={busy || !agree || typedName.trim() === ''}>
          Sign
        </button>
      </form>
    </>
  );
}

function SignedConfirmation(props: { documentSha256: string }) {
  return (
    <section>
      <h1>Signed</h1>
      <Notice kind="success">Thank you. Your signature is recorded.</Notice>
      <p>The document you signed has this SHA-256 fingerprint; keep it to check your copy later:</p>
      <p>
        <Hash value={props.documentSha256} />
      </p>
    </section>
  );
}

function LinkRefused(props: { error: unknown }) {
  const code = props.error instanceof ApiError ? props.error.code : undefined;
  const messages: Record<string, { title: string; text: string }> = {
    signing_link_used: {
      title: 'This link was already used',
      text: 'The document behind this link has already been signed. Each signing link works once; ask the sender if you need a new one.',
    },
    signing_link_expired: {
      title: 'This link has expired',
      text: 'Signing links are valid for a limited time. Ask the sender for a new link.',
    },
    not_found: {
      title: 'This signing link is not valid',
      text: 'Check that you opened the whole link from the email. If it still fails, ask the sender for a new one.',
    },
  };
  const message = (code !== undefined ? messages[code] : undefined) ?? {
    title: 'The document could not be opened',
    text: errorMessage(props.error),
  };

  return (
    <section>
      <h1>{message.title}</h1>
      <Notice kind="warning">{message.text}</Notice>
    </section>
  );
}
