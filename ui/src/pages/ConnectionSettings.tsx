import { useState } from 'react';
import { apiRequest, errorMessage } from '../api';
import { Notice } from '../components';
import { formatDateTime } from '../format';
import { useLocation } from '../router';
import type { TConnection, TOAuthProvider } from '../types';
import { useResource } from '../use-resource';

// The signed-in user's own OAuth connections. Connecting leaves the UI for the provider's consent page, which
// returns to /settings?connected=<provider>.

const providers: Array<{ id: TOAuthProvider; name: string; use: string }> = [
  { id: 'docusign', name: 'DocuSign', use: 'sends approved IOs for signature as DocuSign envelopes' },
  { id: 'pandadoc', name: 'PandaDoc', use: 'sends approved IOs for signature as PandaDoc documents' },
  { id: 'gmail', name: 'Gmail', use: 'sends the cover email from your own mailbox' },
];

export function ConnectionSettings() {
  const location = useLocation();
  const connections = useResource<{ connections: TConnection[] }>('/api/connections');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<TOAuthProvider>();
  const connected = location.searchParams.get('connected');
  const connectedName = providers.find((provider) => provider.id === connected)?.name;

  const connect = async (provider: TOAuthProvider) => {
    setBusy(provider);
    setError(undefined);
    try {
      const { url } = await apiRequest<{ url: string }>('POST', `/api/connections/${provider}/authorize`);
      window.location.assign(url);
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(undefined);
    }
  };

  const disconnect = async (provider: TOAuthProvider) => {
    setBusy(provider);
    setError(undefined);
    try {
      await apiRequest('DELETE', `/api/connections/${provider}`);
      await connections.reload();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="card" aria-labelledby="connections-heading">
      <h2 id="connections-heading">Your connections</h2>
      {connectedName ? <Notice kind="success">{connectedName} is connected.</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {connections.error ? <Notice kind="error">{errorMessage(connections.error)}</Notice> : null}
      <ul className="connections">
        {providers.map((provider) => {
          const connection = connections.data?.connections.find((candidate) => candidate.provider === provider.id);

          return (
            <li key={provider.id}>
              <div>
                <strong>{provider.name}</strong> <span className="muted">{provider.use}</span>
                <br />
                <ConnectionStatus connection={connection} />
              </div>
              <div className="actions">
                {connection === undefined || connection.status === 'needs_reconnect' ? (
                  <button type="button" disabled={busy !== undefined} onClick={() => void connect(provider.id)}>
                    {connection ? `Reconnect ${provider.name}` : `Connect ${provider.name}`}
                  </button>
                ) : null}
                {connection ? (
                  <button type="button" disabled={busy !== undefined} onClick={() => void disconnect(provider.id)}>
                    Disconnect {provider.name}
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function ConnectionStatus(props: { connection: TConnection | undefined }) {
  const { connection } = props;
  if (connection === undefined) {
    return <span className="muted">Not connected</span>;
  }
  if (connection.status === 'needs_reconnect') {
    return <span className="status-warning">Needs reconnection: the provider no longer accepts the saved access</span>;
  }

  return (
    <span className="status-ok">
      Connected{connection.externalAccount ? ` as ${connection.externalAccount}` : ''}
      {connection.connectedAt ? ` since ${formatDateTime(connection.connectedAt)}` : ''}
    </span>
  );
}
