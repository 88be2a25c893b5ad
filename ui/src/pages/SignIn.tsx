import { type FormEvent, useState } from 'react';
import { ApiError, apiRequest, errorMessage, storeToken } from '../api';
import { Notice } from '../components';
import { navigate, useLocation } from '../router';
import type { TLocalUser } from '../types';
import { useResource } from '../use-resource';

// Local sign-in on the embedded default: pick one of the seeded users. Where the API verifies tokens of an
// identity provider the route does not exist (404), and the page says so.

export function SignInPage() {
  const location = useLocation();
  const users = useResource<{ users: TLocalUser[] }>('/auth/local-sign-in', { anonymous: true });
  const [userId, setUserId] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const next = safeNextPath(location.searchParams.get('next'));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const chosen = userId ?? users.data?.users[0]?.id;
    if (chosen === undefined) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const { token } = await apiRequest<{ token: string }>('POST', '/auth/local-sign-in', {
        body: { userId: chosen },
        anonymous: true,
      });
      storeToken(token);
      navigate(next, { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  if (users.error instanceof ApiError && users.error.status === 404) {
    return (
      <section className="narrow">
        <h1>Sign in</h1>
        <Notice kind="info">
          Sign-in is configured by your identity provider. Open Sales Blitz from your company&apos;s sign-in page.
        </Notice>
      </section>
    );
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <p className="muted">
        Local demo sign-in: choose one of the seeded users. Production uses your identity provider.
      </p>
      {users.error ? <Notice kind="error">{errorMessage(users.error)}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {users.data ? (
        <form onSubmit={(event) => void submit(event)} className="card">
          <fieldset>
            <legend>Sign in as</legend>
            {users.data.users.map((user, index) => (
              <label key={user.id} className="choice">
                <input
                  type="radio"
                  name="user"
                  value={user.id}
                  checked={(userId ?? users.data!.users[0]?.id) === user.id}
                  onChange={() => setUserId(user.id)}
                  autoFocus={index === 0}
                />
                <span>
                  <strong>{user.name}</strong> · {user.role} · {user.organization.name}
                  <br />
                  <span className="muted">{user.email}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <button type="submit" className="button-primary" disabled={busy}>
            Sign in
          </button>
        </form>
      ) : users.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
    </section>
  );
}

/** Only same-site paths are followed after sign-in, so a crafted link cannot send the user elsewhere. */
function safeNextPath(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') && next !== '/sign-in' ? next : '/inbox';
}
