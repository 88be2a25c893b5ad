import { type ReactNode, useEffect } from 'react';
import { InboxPage } from './pages/Inbox';
import { ProposalPage } from './pages/Proposal';
import { SettingsPage } from './pages/Settings';
import { SigningPage } from './pages/Signing';
import { SignInPage } from './pages/SignIn';
import { Link, matchPath, navigate, useLocation } from './router';
import { RequireSession, signOut, useSession } from './session';

// Page selection. The signing page is public and has no header; every other page except sign-in needs a
// signed-in user.

export function App() {
  const { pathname } = useLocation();

  const signing = matchPath('/sign/:token', pathname);
  if (signing !== null) {
    return <SigningPage token={signing.token!} />;
  }
  if (pathname === '/sign-in') {
    return (
      <Layout>
        <SignInPage />
      </Layout>
    );
  }

  return (
    <RequireSession>
      <Layout signedIn>
        <SignedInPage pathname={pathname} />
      </Layout>
    </RequireSession>
  );
}

function SignedInPage(props: { pathname: string }) {
  const proposal = matchPath('/proposals/:id', props.pathname);
  if (proposal !== null) {
    return <ProposalPage proposalId={proposal.id!} />;
  }
  if (props.pathname === '/settings') {
    return <SettingsPage />;
  }
  if (props.pathname === '/inbox') {
    return <InboxPage />;
  }

  return <Redirect to="/inbox" />;
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);

  return null;
}

function Layout(props: { signedIn?: boolean; children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="top-bar">
        <Link href={props.signedIn ? '/inbox' : '/sign-in'} className="brand">
          Sales Blitz
        </Link>
        {props.signedIn ? <SignedInNavigation /> : null}
      </header>
      <main className="page" id="content" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

function SignedInNavigation() {
  const me = useSession();
  const { pathname } = useLocation();
  const current = (path: string) => (pathname.startsWith(path) ? 'page' : undefined);

  return (
    <>
      <nav aria-label="Main">
        <Link href="/inbox" aria-current={current('/inbox') ?? current('/proposals')}>
          Inbox
        </Link>
        <Link href="/settings" aria-current={current('/settings')}>
          Settings
        </Link>
      </nav>
      <div className="who">
        <span>
          {me.user.name} · {me.role} · {me.organization.name}
        </span>
        <button type="button" className="button-link" onClick={signOut}>
          Sign out
        </button>
      </div>
    </>
  );
}
