import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { ApiError, apiRequest, errorMessage, storedToken, storeToken } from './api';
import { navigate } from './router';
import type { TMe } from './types';
import { Notice } from './components';

// The signed-in user, loaded once from /api/me. Without a token, or when the API answers 401, the user is
// sent to /sign-in and comes back to the page they asked for.

const SessionContext = createContext<TMe | null>(null);

export function useSession(): TMe {
  const me = useContext(SessionContext);
  if (me === null) {
    throw new Error('useSession is used outside RequireSession');
  }

  return me;
}

export function signOut(): void {
  storeToken(null);
  navigate('/sign-in', { replace: true });
}

function sendToSignIn(): void {
  const next = window.location.pathname + window.location.search;
  storeToken(null);
  navigate(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true });
}

export function RequireSession(props: { children: ReactNode }) {
  const [me, setMe] = useState<TMe | null>(null);
  const [error, setError] = useState<string>();
  const token = storedToken();

  useEffect(() => {
    if (token === null) {
      sendToSignIn();
      return;
    }
    apiRequest<TMe>('GET', '/api/me').then(setMe, (caught: unknown) => {
      if (caught instanceof ApiError && caught.status === 401) {
        sendToSignIn();
        return;
      }
      setError(errorMessage(caught));
    });
  }, [token]);

  if (error !== undefined) {
    return (
      <main className="page" id="content">
        <Notice kind="error">Your account could not be loaded: {error}</Notice>
      </main>
    );
  }
  if (me === null) {
    return (
      <main className="page" id="content">
        <p className="muted">Loading…</p>
      </main>
    );
  }

  return <SessionContext.Provider value={me}>{props.children}</SessionContext.Provider>;
}
